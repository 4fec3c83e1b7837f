package dev.keyring.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

/** Column lists and the mapping between rows and records, shared by reads and transactions. */
final class Rows {
  static final String CLUSTER_COLUMNS = "id, label, created_at";

  static final String KEYRING_COLUMNS =
      "id, cluster_id, label, credential_verifier, password_change_required, krco_initialized,"
          + " locked, failed_logins, created_at";

  /** {@link #KEYRING_COLUMNS} and next_handle: what {@link #keyring} reads. */
  static final String KEYRING_READ_COLUMNS = KEYRING_COLUMNS + ", next_handle";

  static final String OBJECT_COLUMNS =
      "keyring_id, handle, object_id, object_class, attributes, blob, created_at";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> JSON_MAP = new TypeReference<>() {};

  private Rows() {}

  /** Now, to the microsecond: the precision both databases keep, so records round-trip exactly. */
  static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  /** {@code t} to the microsecond. */
  static Instant micros(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS);
  }

  static void setInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
    ps.setObject(i, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
  }

  static Instant getInstant(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  static UUID getUuid(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, UUID.class);
  }

  static ClusterRecord cluster(ResultSet rs) throws SQLException {
    return new ClusterRecord(
        getUuid(rs, "id"), rs.getString("label"), getInstant(rs, "created_at"));
  }

  static KeyringRecord keyring(ResultSet rs) throws SQLException {
    return new KeyringRecord(
        getUuid(rs, "id"),
        getUuid(rs, "cluster_id"),
        rs.getString("label"),
        rs.getString("credential_verifier"),
        rs.getBoolean("password_change_required"),
        rs.getBoolean("krco_initialized"),
        rs.getBoolean("locked"),
        rs.getInt("failed_logins"),
        getInstant(rs, "created_at"),
        rs.getLong("next_handle"));
  }

  static ObjectRecord object(ResultSet rs) throws SQLException {
    return new ObjectRecord(
        getUuid(rs, "keyring_id"),
        rs.getLong("handle"),
        getUuid(rs, "object_id"),
        objectClass(rs.getString("object_class")),
        attributesFromJson(rs.getString("attributes")),
        rs.getBytes("blob"),
        getInstant(rs, "created_at"));
  }

  static ObjectClass objectClass(String stored) {
    try {
      return ObjectClass.valueOf(stored);
    } catch (IllegalArgumentException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "stored object class '" + stored + "' is not known", e);
    }
  }

  /** The JSON text of {@link Attributes#toJsonMap()}. */
  static String attributesToJson(Attributes attributes) {
    try {
      return JSON.writeValueAsString(attributes.toJsonMap());
    } catch (JsonProcessingException e) {
      throw new HsmException(
          ResultCode.CKR_GENERAL_ERROR, "cannot write attributes as JSON: " + e.getMessage(), e);
    }
  }

  /** Reads what {@link #attributesToJson} wrote. */
  static Attributes attributesFromJson(String json) {
    Map<String, Object> map;
    try {
      map = JSON.readValue(json, JSON_MAP);
    } catch (JsonProcessingException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "stored attributes are not valid JSON: " + e.getOriginalMessage(),
          e);
    }
    return Attributes.fromJsonMap(map);
  }
}
