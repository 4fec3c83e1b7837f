package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The replication statements: the log table, the log base, checking before-images and applying
 * after-images of change sets, and installing snapshots. Everything runs inside a {@link
 * JdbcTransaction} (through its {@code sql} step, so a failed statement poisons it).
 */
final class ReplicationSql {
  private ReplicationSql() {}

  // ------------------------------------------------------------------ the log

  /** The last logged entry's position, else the base, else ZERO. */
  static LogPosition position(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT epoch, seq FROM cluster_log ORDER BY seq DESC LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        return new LogPosition(rs.getLong(1), rs.getLong(2));
      }
    }
    return base(c);
  }

  /** The position of the last installed snapshot, else ZERO. */
  static LogPosition base(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT epoch, seq FROM replication_base WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? new LogPosition(rs.getLong(1), rs.getLong(2)) : LogPosition.ZERO;
    }
  }

  /** The epoch of the logged entry at {@code sequence}, or of the base when it is there. */
  static Optional<Long> epochAt(Connection c, long sequence) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM cluster_log WHERE seq = ?")) {
      ps.setLong(1, sequence);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return Optional.of(rs.getLong(1));
        }
      }
    }
    LogPosition base = base(c);
    return base.sequence() == sequence ? Optional.of(base.epoch()) : Optional.empty();
  }

  static List<LogEntry> entriesAfter(Connection c, long sequence, int max) throws SQLException {
    List<LogEntry> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT epoch, seq, payload FROM cluster_log WHERE seq > ? ORDER BY seq LIMIT ?")) {
      ps.setLong(1, sequence);
      ps.setInt(2, max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          LogEntry e = decodeStored(rs.getBytes(3));
          LogPosition p = new LogPosition(rs.getLong(1), rs.getLong(2));
          out.add(new LogEntry(p, e.changes()));
        }
      }
    }
    return out;
  }

  private static LogEntry decodeStored(byte[] payload) {
    try {
      return LogCodec.decode(payload);
    } catch (HsmException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "a stored log entry is damaged: " + e.detail(), e);
    }
  }

  /** Inserts the log row of {@code entry}. */
  static void append(JdbcTransaction tx, LogEntry entry) {
    tx.sql(
        "appending log entry " + entry.position(),
        () -> {
          try (PreparedStatement ps =
              tx.connection()
                  .prepareStatement(
                      "INSERT INTO cluster_log (seq, epoch, payload, appended_at)"
                          + " VALUES (?, ?, ?, ?)")) {
            ps.setLong(1, entry.position().sequence());
            ps.setLong(2, entry.position().epoch());
            ps.setBytes(3, LogCodec.encode(entry));
            Rows.setInstant(ps, 4, Rows.now());
            ps.executeUpdate();
          }
          return null;
        });
  }

  static LogPosition position(JdbcTransaction tx) {
    return tx.sql("reading the log position", () -> position(tx.connection()));
  }

  /** Whether the log holds an entry at exactly this position (or the base is it). */
  static boolean holds(JdbcTransaction tx, LogPosition p) {
    return tx.sql(
        "reading the log at " + p,
        () -> epochAt(tx.connection(), p.sequence()).map(e -> e == p.epoch()).orElse(false));
  }

  // ------------------------------------------------------------------ change sets

  /**
   * Checks every change's before-image against the row as the transaction sees it (locking it),
   * before any change is applied.
   *
   * @return a description of the first row that does not match, or empty when all do
   */
  static Optional<String> firstMismatch(JdbcTransaction tx, ChangeSet changes) {
    return tx.sql(
        "checking the rows a change set changes",
        () -> {
          for (RowChange c : changes.changes()) {
            if (c instanceof RowChange.KeyringRow k) {
              KeyringRecord now = tx.readKeyring(k.id(), true).orElse(null);
              if (!Objects.equals(k.before(), now)) {
                return Optional.of("keyring " + k.id());
              }
            } else if (c instanceof RowChange.ObjectRow o) {
              ObjectRecord now = tx.readObject(o.keyringId(), o.handle(), true).orElse(null);
              if (!Objects.equals(o.before(), now)) {
                return Optional.of("object " + o.handle() + " of keyring " + o.keyringId());
              }
            } else {
              RowChange.ClusterValue v = (RowChange.ClusterValue) c;
              byte[] now = tx.readClusterValue(v.name(), true).orElse(null);
              if (!Arrays.equals(v.before(), now)) {
                return Optional.of("cluster value '" + v.name() + "'");
              }
            }
          }
          return Optional.empty();
        });
  }

  /**
   * Writes the after-images, in an order the constraints accept: object deletes, keyring deletes,
   * keyring inserts and updates, object inserts and updates, cluster values. With {@code
   * enforceLimits} (the primary), refuses like the normal API: a label or object id used by another
   * row or an unknown cluster (CKR_ARGUMENTS_BAD), an object in a missing keyring
   * (CKR_SLOT_ID_INVALID), more than 3,500 keyrings in a cluster or 256 objects in a keyring
   * (CKR_DEVICE_MEMORY). The caller rolls back on any exception.
   */
  static void apply(JdbcTransaction tx, ChangeSet changes, boolean enforceLimits) {
    List<RowChange.KeyringRow> keyrings = new ArrayList<>();
    List<RowChange.ObjectRow> objects = new ArrayList<>();
    List<RowChange.ClusterValue> values = new ArrayList<>();
    for (RowChange c : changes.changes()) {
      if (c instanceof RowChange.KeyringRow k) {
        keyrings.add(k);
      } else if (c instanceof RowChange.ObjectRow o) {
        objects.add(o);
      } else {
        values.add((RowChange.ClusterValue) c);
      }
    }
    tx.sql(
        "applying a change set",
        () -> {
          Connection c = tx.connection();
          for (RowChange.ObjectRow o : objects) {
            if (o.after() == null) {
              delete(
                  c,
                  "DELETE FROM objects WHERE keyring_id = ? AND handle = ?",
                  o.keyringId(),
                  o.handle());
            }
          }
          for (RowChange.KeyringRow k : keyrings) {
            if (k.after() == null) {
              delete(c, "DELETE FROM keyrings WHERE id = ?", k.id(), null);
            }
          }
          Set<UUID> clustersGrown = new LinkedHashSet<>();
          for (RowChange.KeyringRow k : keyrings) {
            KeyringRecord a = k.after();
            if (a == null) {
              continue;
            }
            if (enforceLimits) {
              checkKeyring(c, a);
            }
            if (k.before() == null) {
              insertKeyring(c, a);
              clustersGrown.add(a.clusterId());
            } else {
              updateKeyring(c, a);
            }
          }
          if (enforceLimits) {
            for (UUID cluster : clustersGrown) {
              int held = count(c, "SELECT COUNT(*) FROM keyrings WHERE cluster_id = ?", cluster);
              if (held > KeyringLimits.MAX_KEYRINGS_PER_CLUSTER) {
                throw new HsmException(
                    ResultCode.CKR_DEVICE_MEMORY,
                    "cluster "
                        + cluster
                        + " would hold "
                        + held
                        + " keyrings, past the limit of "
                        + KeyringLimits.MAX_KEYRINGS_PER_CLUSTER);
              }
            }
          }
          Set<UUID> keyringsGrown = new LinkedHashSet<>();
          for (RowChange.ObjectRow o : objects) {
            ObjectRecord a = o.after();
            if (a == null) {
              continue;
            }
            if (enforceLimits) {
              checkObject(tx, c, a);
            }
            if (o.before() == null) {
              insertObject(c, a);
              keyringsGrown.add(a.keyringId());
            } else {
              updateObject(c, a);
            }
          }
          if (enforceLimits) {
            for (UUID keyring : keyringsGrown) {
              int held = count(c, "SELECT COUNT(*) FROM objects WHERE keyring_id = ?", keyring);
              if (held > KeyringLimits.MAX_OBJECTS_PER_KEYRING) {
                throw new HsmException(
                    ResultCode.CKR_DEVICE_MEMORY,
                    "keyring "
                        + keyring
                        + " would hold "
                        + held
                        + " objects, past the limit of "
                        + KeyringLimits.MAX_OBJECTS_PER_KEYRING);
              }
            }
          }
          for (RowChange.ClusterValue v : values) {
            byte[] after = v.after();
            if (after == null) {
              delete(c, "DELETE FROM cluster_values WHERE name = ?", v.name(), null);
            } else {
              try (PreparedStatement ps = c.prepareStatement(tx.dialect().upsertClusterValue())) {
                ps.setString(1, v.name());
                ps.setBytes(2, after);
                ps.executeUpdate();
              }
            }
          }
          return null;
        });
  }

  private static void checkKeyring(Connection c, KeyringRecord k) throws SQLException {
    if (count(c, "SELECT COUNT(*) FROM cluster WHERE id = ?", k.clusterId()) == 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "cluster " + k.clusterId() + " does not exist in this store");
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id FROM keyrings WHERE label = ? AND id <> ?")) {
      ps.setString(1, k.label());
      ps.setObject(2, k.id());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw new HsmException(
              ResultCode.CKR_ARGUMENTS_BAD,
              "keyring label '" + k.label() + "' is already used; labels must be unique");
        }
      }
    }
  }

  private static void checkObject(JdbcTransaction tx, Connection c, ObjectRecord o)
      throws SQLException {
    if (tx.readKeyring(o.keyringId(), false).isEmpty()) {
      throw new HsmException(
          ResultCode.CKR_SLOT_ID_INVALID, "keyring " + o.keyringId() + " does not exist");
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT handle FROM objects WHERE object_id = ?"
                + " AND NOT (keyring_id = ? AND handle = ?)")) {
      ps.setObject(1, o.objectId());
      ps.setObject(2, o.keyringId());
      ps.setLong(3, o.handle());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw new HsmException(
              ResultCode.CKR_ARGUMENTS_BAD, "object id " + o.objectId() + " already exists");
        }
      }
    }
  }

  private static int count(Connection c, String sql, UUID param) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, param);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static void delete(Connection c, String sql, Object key, Long handle)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, key);
      if (handle != null) {
        ps.setLong(2, handle);
      }
      ps.executeUpdate();
    }
  }

  private static final String INSERT_KEYRING =
      "INSERT INTO keyrings ("
          + Rows.KEYRING_READ_COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private static final String INSERT_OBJECT =
      "INSERT INTO objects (" + Rows.OBJECT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)";

  private static void setKeyring(PreparedStatement ps, KeyringRecord k) throws SQLException {
    ps.setObject(1, k.id());
    ps.setObject(2, k.clusterId());
    ps.setString(3, k.label());
    ps.setString(4, k.credentialVerifier());
    ps.setBoolean(5, k.passwordChangeRequired());
    ps.setBoolean(6, k.krcoInitialized());
    ps.setBoolean(7, k.locked());
    ps.setInt(8, k.failedLogins());
    Rows.setInstant(ps, 9, k.createdAt());
    ps.setLong(10, k.nextHandle());
  }

  private static void setObject(PreparedStatement ps, ObjectRecord o) throws SQLException {
    ps.setObject(1, o.keyringId());
    ps.setLong(2, o.handle());
    ps.setObject(3, o.objectId());
    ps.setString(4, o.objectClass().name());
    ps.setString(5, Rows.attributesToJson(o.attributes()));
    ps.setBytes(6, o.blob());
    Rows.setInstant(ps, 7, o.createdAt());
  }

  private static void insertKeyring(Connection c, KeyringRecord k) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT_KEYRING)) {
      setKeyring(ps, k);
      ps.executeUpdate();
    }
  }

  private static void updateKeyring(Connection c, KeyringRecord k) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE keyrings SET cluster_id = ?, label = ?, credential_verifier = ?,"
                + " password_change_required = ?, krco_initialized = ?, locked = ?,"
                + " failed_logins = ?, created_at = ?, next_handle = ? WHERE id = ?")) {
      ps.setObject(1, k.clusterId());
      ps.setString(2, k.label());
      ps.setString(3, k.credentialVerifier());
      ps.setBoolean(4, k.passwordChangeRequired());
      ps.setBoolean(5, k.krcoInitialized());
      ps.setBoolean(6, k.locked());
      ps.setInt(7, k.failedLogins());
      Rows.setInstant(ps, 8, k.createdAt());
      ps.setLong(9, k.nextHandle());
      ps.setObject(10, k.id());
      ps.executeUpdate();
    }
  }

  private static void insertObject(Connection c, ObjectRecord o) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT_OBJECT)) {
      setObject(ps, o);
      ps.executeUpdate();
    }
  }

  private static void updateObject(Connection c, ObjectRecord o) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE objects SET object_id = ?, object_class = ?, attributes = ?, blob = ?,"
                + " created_at = ? WHERE keyring_id = ? AND handle = ?")) {
      ps.setObject(1, o.objectId());
      ps.setString(2, o.objectClass().name());
      ps.setString(3, Rows.attributesToJson(o.attributes()));
      ps.setBytes(4, o.blob());
      Rows.setInstant(ps, 5, o.createdAt());
      ps.setObject(6, o.keyringId());
      ps.setLong(7, o.handle());
      ps.executeUpdate();
    }
  }

  // ------------------------------------------------------------------ snapshots

  /** Reads the replicated state; {@code c} should be in a repeatable-read transaction. */
  static Snapshot readSnapshot(Connection c, Dialect dialect) throws SQLException {
    LogPosition position = position(c);
    ClusterRecord cluster = null;
    try (PreparedStatement ps =
            c.prepareStatement("SELECT " + Rows.CLUSTER_COLUMNS + " FROM cluster");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        cluster = Rows.cluster(rs);
      }
    }
    List<KeyringRecord> keyrings =
        readAll(
            c, "SELECT " + Rows.KEYRING_READ_COLUMNS + " FROM keyrings ORDER BY id", Rows::keyring);
    List<ObjectRecord> objects =
        readAll(
            c,
            "SELECT " + Rows.OBJECT_COLUMNS + " FROM objects ORDER BY keyring_id, handle",
            Rows::object);
    Map<String, byte[]> values = new java.util.TreeMap<>();
    try (PreparedStatement ps =
            c.prepareStatement("SELECT name, " + dialect.valueColumn() + " FROM cluster_values");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        values.put(rs.getString(1), rs.getBytes(2));
      }
    }
    return new Snapshot(position, cluster, keyrings, objects, values);
  }

  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private static <T> List<T> readAll(Connection c, String sql, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setFetchSize(1000);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) {
          out.add(mapper.map(rs));
        }
        return out;
      }
    }
  }

  /** Replaces the replicated state, the log and the base with the snapshot's. */
  static void install(JdbcTransaction tx, Snapshot s) {
    tx.sql(
        "installing a snapshot at " + s.position(),
        () -> {
          Connection c = tx.connection();
          for (String table :
              List.of(
                  "objects",
                  "keyrings",
                  "cluster_values",
                  "cluster",
                  "cluster_log",
                  "replication_base")) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table)) {
              ps.executeUpdate();
            }
          }
          if (s.cluster() != null) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO cluster (" + Rows.CLUSTER_COLUMNS + ") VALUES (?, ?, ?)")) {
              ps.setObject(1, s.cluster().id());
              ps.setString(2, s.cluster().label());
              Rows.setInstant(ps, 3, s.cluster().createdAt());
              ps.executeUpdate();
            }
          }
          batch(c, INSERT_KEYRING, s.keyrings(), ReplicationSql::setKeyring);
          batch(c, INSERT_OBJECT, s.objects(), ReplicationSql::setObject);
          try (PreparedStatement ps = c.prepareStatement(tx.dialect().upsertClusterValue())) {
            for (Map.Entry<String, byte[]> e : s.clusterValues().entrySet()) {
              ps.setString(1, e.getKey());
              ps.setBytes(2, e.getValue());
              ps.addBatch();
            }
            ps.executeBatch();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO replication_base (id, seq, epoch) VALUES (1, ?, ?)")) {
            ps.setLong(1, s.position().sequence());
            ps.setLong(2, s.position().epoch());
            ps.executeUpdate();
          }
          return null;
        });
  }

  @FunctionalInterface
  private interface Binder<T> {
    void bind(PreparedStatement ps, T row) throws SQLException;
  }

  private static <T> void batch(Connection c, String sql, List<T> rows, Binder<T> binder)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int n = 0;
      for (T row : rows) {
        binder.bind(ps, row);
        ps.addBatch();
        if (++n % 500 == 0) {
          ps.executeBatch();
        }
      }
      if (n % 500 != 0) {
        ps.executeBatch();
      }
    }
  }
}
