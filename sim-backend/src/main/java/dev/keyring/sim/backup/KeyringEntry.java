package dev.keyring.sim.backup;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.ObjectRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One keyring as a backup holds it: its record (configuration: password verifier, roles' flags,
 * lock state, failed-login counter) and its objects with their SKS blobs exactly as stored. Encoded
 * as one UTF-8 JSON document per keyring inside the encrypted body (see {@code docs/backup.md}).
 *
 * @param keyring the keyring's record
 * @param objects its objects, by handle
 */
public record KeyringEntry(KeyringRecord keyring, List<ObjectRecord> objects) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /** Copies the list. */
  public KeyringEntry {
    objects = List.copyOf(objects);
  }

  byte[] encode() {
    ObjectNode n = JSON.createObjectNode();
    KeyringRecord k = keyring;
    n.put("id", k.id().toString())
        .put("clusterId", k.clusterId().toString())
        .put("label", k.label())
        .put("credentialVerifier", k.credentialVerifier())
        .put("passwordChangeRequired", k.passwordChangeRequired())
        .put("krcoInitialized", k.krcoInitialized())
        .put("locked", k.locked())
        .put("failedLogins", k.failedLogins())
        .put("createdAt", k.createdAt().toString())
        .put("nextHandle", k.nextHandle());
    ArrayNode list = n.putArray("objects");
    for (ObjectRecord o : objects) {
      ObjectNode on = list.addObject();
      on.put("handle", o.handle())
          .put("objectId", o.objectId().toString())
          .put("class", o.objectClass().name())
          .put("createdAt", o.createdAt().toString());
      on.set("attributes", JSON.valueToTree(o.attributes().toJsonMap()));
      byte[] blob = o.blob();
      if (blob == null) {
        on.putNull("blob");
      } else {
        on.put("blob", Base64.getEncoder().encodeToString(blob));
      }
    }
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a keyring for a backup", e);
    }
  }

  static KeyringEntry decode(byte[] bytes) {
    try {
      JsonNode n = JSON.readTree(bytes);
      UUID id = UUID.fromString(text(n, "id"));
      KeyringRecord k =
          new KeyringRecord(
              id,
              UUID.fromString(text(n, "clusterId")),
              text(n, "label"),
              text(n, "credentialVerifier"),
              field(n, "passwordChangeRequired").asBoolean(),
              field(n, "krcoInitialized").asBoolean(),
              field(n, "locked").asBoolean(),
              field(n, "failedLogins").asInt(),
              Instant.parse(text(n, "createdAt")),
              field(n, "nextHandle").asLong());
      List<ObjectRecord> objects = new ArrayList<>();
      for (JsonNode on : field(n, "objects")) {
        JsonNode blob = field(on, "blob");
        Map<String, Object> attrs = JSON.convertValue(field(on, "attributes"), MAP);
        objects.add(
            new ObjectRecord(
                id,
                field(on, "handle").asLong(),
                UUID.fromString(text(on, "objectId")),
                ObjectClass.valueOf(text(on, "class")),
                Attributes.fromJsonMap(attrs),
                blob.isNull() ? null : Base64.getDecoder().decode(blob.asText()),
                Instant.parse(text(on, "createdAt"))));
      }
      return new KeyringEntry(k, objects);
    } catch (IOException | RuntimeException e) {
      // only reached for a body that authenticated: written by a member, not by an attacker
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_INVALID,
          "a keyring in the backup cannot be read: " + e.getClass().getSimpleName());
    }
  }

  private static JsonNode field(JsonNode n, String name) {
    JsonNode v = n.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing field " + name);
    }
    return v;
  }

  private static String text(JsonNode n, String name) {
    return field(n, name).asText();
  }

  /** The label, id and object count; never a verifier or blob. */
  @Override
  public String toString() {
    return "KeyringEntry[" + keyring + ", " + objects.size() + " objects]";
  }
}
