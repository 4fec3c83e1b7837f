package dev.keyring.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The wire and log form of {@link LogEntry} and {@link Snapshot}: UTF-8 JSON. Byte arrays are
 * base64, attributes the JSON form the store keeps them in ({@link Attributes#toJsonMap()}), times
 * ISO-8601 instants (exact to the nanosecond; the store keeps microseconds).
 *
 * <p>An entry: {@code {"v":1,"epoch":E,"sequence":S,"changes":[...]}}, each change {@code
 * {"table":"keyrings","id":..,"before":K|null,"after":K|null}}, {@code
 * {"table":"objects","keyringId":..,"handle":..,"before":O|null,"after":O|null}} or {@code
 * {"table":"cluster_values","name":..,"before":B64|null,"after":B64|null}}. A snapshot: {@code
 * {"v":1,"epoch":E,"sequence":S,"cluster":C|null,"keyrings":[K..],"objects":[O..],"clusterValues":{name:B64}}}.
 *
 * <p>Decoding anything else (not JSON, a missing or mistyped field, an unknown version or table)
 * throws {@link HsmException} with CKR_ARGUMENTS_BAD saying what was wrong.
 */
public final class LogCodec {
  /** The format version written and the only one read. */
  static final int VERSION = 1;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final TypeReference<Map<String, Object>> JSON_MAP = new TypeReference<>() {};

  private LogCodec() {}

  /** Encodes a log entry. */
  public static byte[] encode(LogEntry entry) {
    ObjectNode root = header(entry.position());
    ArrayNode changes = root.putArray("changes");
    for (RowChange c : entry.changes().changes()) {
      changes.add(change(c));
    }
    return write(root);
  }

  /** Decodes what {@link #encode(LogEntry)} wrote. */
  public static LogEntry decode(byte[] bytes) {
    return decoding(
        "log entry",
        bytes,
        root -> {
          LogPosition position = position(root);
          List<RowChange> changes = new ArrayList<>();
          for (JsonNode c : array(root, "changes")) {
            changes.add(change(c));
          }
          return new LogEntry(position, new ChangeSet(changes));
        });
  }

  /** Encodes a snapshot. */
  public static byte[] encode(Snapshot snapshot) {
    ObjectNode root = header(snapshot.position());
    ClusterRecord cluster = snapshot.cluster();
    if (cluster == null) {
      root.putNull("cluster");
    } else {
      ObjectNode c = root.putObject("cluster");
      c.put("id", cluster.id().toString());
      c.put("label", cluster.label());
      c.put("createdAt", cluster.createdAt().toString());
    }
    ArrayNode keyrings = root.putArray("keyrings");
    for (KeyringRecord k : snapshot.keyrings()) {
      keyrings.add(keyring(k));
    }
    ArrayNode objects = root.putArray("objects");
    for (ObjectRecord o : snapshot.objects()) {
      objects.add(object(o));
    }
    ObjectNode values = root.putObject("clusterValues");
    snapshot.clusterValues().forEach((name, value) -> values.put(name, base64(value)));
    return write(root);
  }

  /** Decodes what {@link #encode(Snapshot)} wrote. */
  public static Snapshot decodeSnapshot(byte[] bytes) {
    return decoding(
        "snapshot",
        bytes,
        root -> {
          LogPosition position = position(root);
          JsonNode c = field(root, "cluster");
          ClusterRecord cluster =
              c.isNull()
                  ? null
                  : new ClusterRecord(uuid(c, "id"), text(c, "label"), instant(c, "createdAt"));
          List<KeyringRecord> keyrings = new ArrayList<>();
          for (JsonNode k : array(root, "keyrings")) {
            keyrings.add(keyring(k));
          }
          List<ObjectRecord> objects = new ArrayList<>();
          for (JsonNode o : array(root, "objects")) {
            objects.add(object(o));
          }
          JsonNode v = field(root, "clusterValues");
          if (!v.isObject()) {
            throw bad("clusterValues is not an object");
          }
          Map<String, byte[]> values = new LinkedHashMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            values.put(e.getKey(), bytes(e.getValue(), "clusterValues." + e.getKey()));
          }
          return new Snapshot(position, cluster, keyrings, objects, values);
        });
  }

  // ------------------------------------------------------------------ encoding

  static ObjectNode header(LogPosition p) {
    ObjectNode root = NODES.objectNode();
    root.put("v", VERSION);
    root.put("epoch", p.epoch());
    root.put("sequence", p.sequence());
    return root;
  }

  static byte[] write(ObjectNode root) {
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new HsmException(
          ResultCode.CKR_GENERAL_ERROR, "cannot write a log record as JSON: " + e.getMessage(), e);
    }
  }

  private static ObjectNode change(RowChange change) {
    ObjectNode n = NODES.objectNode();
    if (change instanceof RowChange.KeyringRow k) {
      n.put("table", "keyrings");
      n.put("id", k.id().toString());
      n.set("before", k.before() == null ? NODES.nullNode() : keyring(k.before()));
      n.set("after", k.after() == null ? NODES.nullNode() : keyring(k.after()));
    } else if (change instanceof RowChange.ObjectRow o) {
      n.put("table", "objects");
      n.put("keyringId", o.keyringId().toString());
      n.put("handle", o.handle());
      n.set("before", o.before() == null ? NODES.nullNode() : object(o.before()));
      n.set("after", o.after() == null ? NODES.nullNode() : object(o.after()));
    } else {
      RowChange.ClusterValue v = (RowChange.ClusterValue) change;
      n.put("table", "cluster_values");
      n.put("name", v.name());
      n.put("before", base64(v.before()));
      n.put("after", base64(v.after()));
    }
    return n;
  }

  static ObjectNode keyring(KeyringRecord k) {
    ObjectNode n = NODES.objectNode();
    n.put("id", k.id().toString());
    n.put("clusterId", k.clusterId().toString());
    n.put("label", k.label());
    n.put("credentialVerifier", k.credentialVerifier());
    n.put("passwordChangeRequired", k.passwordChangeRequired());
    n.put("krcoInitialized", k.krcoInitialized());
    n.put("locked", k.locked());
    n.put("failedLogins", k.failedLogins());
    n.put("createdAt", k.createdAt().toString());
    n.put("nextHandle", k.nextHandle());
    return n;
  }

  static ObjectNode object(ObjectRecord o) {
    ObjectNode n = NODES.objectNode();
    n.put("keyringId", o.keyringId().toString());
    n.put("handle", o.handle());
    n.put("objectId", o.objectId().toString());
    n.put("objectClass", o.objectClass().name());
    n.set("attributes", JSON.valueToTree(o.attributes().toJsonMap()));
    n.put("blob", base64(o.blob()));
    n.put("createdAt", o.createdAt().toString());
    return n;
  }

  static String base64(byte[] b) {
    return b == null ? null : Base64.getEncoder().encodeToString(b);
  }

  // ------------------------------------------------------------------ decoding

  @FunctionalInterface
  interface Reader<T> {
    T read(JsonNode root);
  }

  static <T> T decoding(String what, byte[] bytes, Reader<T> reader) {
    if (bytes == null) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "cannot decode a " + what + ": null");
    }
    try {
      JsonNode root = JSON.readTree(bytes);
      if (root == null || !root.isObject()) {
        throw bad("not a JSON object");
      }
      JsonNode v = field(root, "v");
      if (!v.isInt() || v.intValue() != VERSION) {
        throw bad("format version " + v + " is not " + VERSION);
      }
      return reader.read(root);
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "cannot decode a " + what + ": not valid JSON (" + firstLine(e.getMessage()) + ")",
          e);
    } catch (BadRecord e) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "cannot decode a " + what + ": " + e.getMessage());
    } catch (HsmException | IllegalArgumentException | NullPointerException e) {
      // a record's checks, UUID or instant parsing, Attributes.fromJsonMap
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "cannot decode a " + what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "cannot decode a " + what + ": " + e, e);
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** A malformed record, turned into CKR_ARGUMENTS_BAD by {@link #decoding}. */
  static final class BadRecord extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadRecord(String message) {
      super(message, null, false, false);
    }
  }

  static BadRecord bad(String message) {
    return new BadRecord(message);
  }

  static LogPosition position(JsonNode root) {
    return new LogPosition(number(root, "epoch"), number(root, "sequence"));
  }

  private static RowChange change(JsonNode n) {
    String table = text(n, "table");
    switch (table) {
      case "keyrings":
        return new RowChange.KeyringRow(
            uuid(n, "id"),
            nullable(n, "before", LogCodec::keyring),
            nullable(n, "after", LogCodec::keyring));
      case "objects":
        return new RowChange.ObjectRow(
            uuid(n, "keyringId"),
            number(n, "handle"),
            nullable(n, "before", LogCodec::object),
            nullable(n, "after", LogCodec::object));
      case "cluster_values":
        return new RowChange.ClusterValue(
            text(n, "name"),
            nullable(n, "before", b -> bytes(b, "before")),
            nullable(n, "after", b -> bytes(b, "after")));
      default:
        throw bad("unknown table '" + table + "' in a change");
    }
  }

  private static <T> T nullable(JsonNode n, String name, Reader<T> reader) {
    JsonNode v = field(n, name);
    return v.isNull() ? null : reader.read(v);
  }

  static KeyringRecord keyring(JsonNode n) {
    long failed = number(n, "failedLogins");
    if (failed != (int) failed) {
      throw bad("failedLogins " + failed + " is out of range");
    }
    return new KeyringRecord(
        uuid(n, "id"),
        uuid(n, "clusterId"),
        text(n, "label"),
        text(n, "credentialVerifier"),
        bool(n, "passwordChangeRequired"),
        bool(n, "krcoInitialized"),
        bool(n, "locked"),
        (int) failed,
        instant(n, "createdAt"),
        number(n, "nextHandle"));
  }

  static ObjectRecord object(JsonNode n) {
    JsonNode attributes = field(n, "attributes");
    if (!attributes.isObject()) {
      throw bad("attributes is not an object");
    }
    String objectClass = text(n, "objectClass");
    ObjectClass cls;
    try {
      cls = ObjectClass.valueOf(objectClass);
    } catch (IllegalArgumentException e) {
      throw bad("unknown object class '" + objectClass + "'");
    }
    return new ObjectRecord(
        uuid(n, "keyringId"),
        number(n, "handle"),
        uuid(n, "objectId"),
        cls,
        Attributes.fromJsonMap(JSON.convertValue(attributes, JSON_MAP)),
        nullable(n, "blob", b -> bytes(b, "blob")),
        instant(n, "createdAt"));
  }

  static JsonNode field(JsonNode n, String name) {
    JsonNode v = n.get(name);
    if (v == null) {
      throw bad("field '" + name + "' is missing");
    }
    return v;
  }

  private static JsonNode array(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isArray()) {
      throw bad("field '" + name + "' is not an array");
    }
    return v;
  }

  static String text(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isTextual()) {
      throw bad("field '" + name + "' is not a string");
    }
    return v.textValue();
  }

  static long number(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw bad("field '" + name + "' is not an integer");
    }
    return v.longValue();
  }

  private static boolean bool(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isBoolean()) {
      throw bad("field '" + name + "' is not a boolean");
    }
    return v.booleanValue();
  }

  static UUID uuid(JsonNode n, String name) {
    String s = text(n, name);
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      throw bad("field '" + name + "' is not a UUID");
    }
  }

  static Instant instant(JsonNode n, String name) {
    String s = text(n, name);
    try {
      return Instant.parse(s);
    } catch (RuntimeException e) {
      throw bad("field '" + name + "' is not an ISO-8601 instant");
    }
  }

  static byte[] bytes(JsonNode v, String name) {
    if (!v.isTextual()) {
      throw bad("field '" + name + "' is not a base64 string");
    }
    try {
      return Base64.getDecoder().decode(v.textValue());
    } catch (IllegalArgumentException e) {
      throw bad("field '" + name + "' is not valid base64");
    }
  }
}
