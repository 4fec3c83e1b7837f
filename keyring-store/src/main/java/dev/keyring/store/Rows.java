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
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The row binding of the replicated tables (cluster, keyrings, objects): each column once, with how
 * it is bound and read. Transactions, replication and snapshots all write rows through these
 * tables, so a new column is added here and nowhere else.
 */
final class Rows {
  static final RowTable<ClusterRecord> CLUSTER =
      RowTable.<ClusterRecord>of("cluster", Rows::cluster)
          .column("id", (ps, i, c) -> ps.setObject(i, c.id()))
          .column("label", (ps, i, c) -> ps.setString(i, c.label()))
          .column("created_at", (ps, i, c) -> setInstant(ps, i, c.createdAt()));

  static final RowTable<KeyringRecord> KEYRINGS =
      RowTable.<KeyringRecord>of("keyrings", Rows::keyring)
          .column("id", (ps, i, k) -> ps.setObject(i, k.id()))
          .column("cluster_id", (ps, i, k) -> ps.setObject(i, k.clusterId()))
          .column("label", (ps, i, k) -> ps.setString(i, k.label()))
          .column("credential_verifier", (ps, i, k) -> ps.setString(i, k.credentialVerifier()))
          .column(
              "password_change_required",
              (ps, i, k) -> ps.setBoolean(i, k.passwordChangeRequired()))
          .column("krco_initialized", (ps, i, k) -> ps.setBoolean(i, k.krcoInitialized()))
          .column("locked", (ps, i, k) -> ps.setBoolean(i, k.locked()))
          .column("failed_logins", (ps, i, k) -> ps.setInt(i, k.failedLogins()))
          .column("created_at", (ps, i, k) -> setInstant(ps, i, k.createdAt()))
          .column("next_handle", (ps, i, k) -> ps.setLong(i, k.nextHandle()));

  /** A keyring's key. */
  static final List<String> KEYRING_KEY = List.of("id");

  /**
   * The columns a keyring's own update changes (its credential and lockout state); the store keeps
   * its next handle, and its id, cluster, label and creation time never change.
   */
  static final List<String> KEYRING_STATE =
      List.of(
          "credential_verifier",
          "password_change_required",
          "krco_initialized",
          "locked",
          "failed_logins");

  static final RowTable<ObjectRecord> OBJECTS =
      RowTable.<ObjectRecord>of("objects", Rows::object)
          .column("keyring_id", (ps, i, o) -> ps.setObject(i, o.keyringId()))
          .column("handle", (ps, i, o) -> ps.setLong(i, o.handle()))
          .column("object_id", (ps, i, o) -> ps.setObject(i, o.objectId()))
          .column("object_class", (ps, i, o) -> ps.setString(i, o.objectClass().name()))
          .column("attributes", (ps, i, o) -> ps.setString(i, attributesToJson(o.attributes())))
          .column("blob", (ps, i, o) -> ps.setBytes(i, o.blob()))
          .column("created_at", (ps, i, o) -> setInstant(ps, i, o.createdAt()));

  /** An object's key. */
  static final List<String> OBJECT_KEY = List.of("keyring_id", "handle");

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
    ps.setObject(i, utc(t));
  }

  /** {@code t} as the database's timestamp-with-time-zone value. */
  static OffsetDateTime utc(Instant t) {
    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
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
