package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The replication statements: the log table, the log base, checking before-images and applying
 * after-images of change sets ({@link SnapshotSql} reads and installs snapshots). Everything runs
 * inside a {@link JdbcTransaction} (through its {@code sql} step, so a failed statement poisons
 * it).
 */
final class ReplicationSql {
  /** Every column of a keyring but its key: what a replicated update writes. */
  private static final List<String> KEYRING_ALL = Rows.KEYRINGS.columnsExcept(Rows.KEYRING_KEY);

  /** Every column of an object but its key: what a replicated update writes. */
  private static final List<String> OBJECT_ALL = Rows.OBJECTS.columnsExcept(Rows.OBJECT_KEY);

  private ReplicationSql() {}

  // ------------------------------------------------------------------ the log

  /** The last logged entry's position, else the base, else ZERO. */
  static LogPosition position(Connection c) throws SQLException {
    Optional<LogPosition> last =
        Sql.queryOne(
            c, "SELECT epoch, seq FROM cluster_log ORDER BY seq DESC LIMIT 1", ReplicationSql::at);
    return last.isPresent() ? last.get() : base(c);
  }

  private static LogPosition at(ResultSet rs) throws SQLException {
    return new LogPosition(rs.getLong(1), rs.getLong(2));
  }

  /** The position of the last installed snapshot, else ZERO. */
  static LogPosition base(Connection c) throws SQLException {
    return Sql.queryOne(
            c, "SELECT epoch, seq FROM replication_base WHERE id = 1", ReplicationSql::at)
        .orElse(LogPosition.ZERO);
  }

  /** The epoch of the logged entry at {@code sequence}, or of the base when it is there. */
  static Optional<Long> epochAt(Connection c, long sequence) throws SQLException {
    Optional<Long> logged =
        Sql.queryOne(
            c, "SELECT epoch FROM cluster_log WHERE seq = ?", rs -> rs.getLong(1), sequence);
    if (logged.isPresent()) {
      return logged;
    }
    LogPosition base = base(c);
    return base.sequence() == sequence ? Optional.of(base.epoch()) : Optional.empty();
  }

  static List<LogEntry> entriesAfter(Connection c, long sequence, int max) throws SQLException {
    return Sql.query(
        c,
        "SELECT epoch, seq, payload FROM cluster_log WHERE seq > ? ORDER BY seq LIMIT ?",
        rs -> new LogEntry(at(rs), decodeStored(rs.getBytes(3)).changes()),
        sequence,
        max);
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
          Sql.update(
              tx.connection(),
              "INSERT INTO cluster_log (seq, epoch, payload, appended_at) VALUES (?, ?, ?, ?)",
              entry.position().sequence(),
              entry.position().epoch(),
              LogCodec.encode(entry),
              Rows.utc(Rows.now()));
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
              Sql.update(
                  c,
                  "DELETE FROM objects WHERE keyring_id = ? AND handle = ?",
                  o.keyringId(),
                  o.handle());
            }
          }
          for (RowChange.KeyringRow k : keyrings) {
            if (k.after() == null) {
              Sql.update(c, "DELETE FROM keyrings WHERE id = ?", k.id());
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
              Rows.KEYRINGS.insertAll(c, List.of(a));
              clustersGrown.add(a.clusterId());
            } else {
              Rows.KEYRINGS.update(c, a, KEYRING_ALL, Rows.KEYRING_KEY);
            }
          }
          if (enforceLimits) {
            for (UUID cluster : clustersGrown) {
              int held =
                  Sql.count(c, "SELECT COUNT(*) FROM keyrings WHERE cluster_id = ?", cluster);
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
              Rows.OBJECTS.insertAll(c, List.of(a));
              keyringsGrown.add(a.keyringId());
            } else {
              Rows.OBJECTS.update(c, a, OBJECT_ALL, Rows.OBJECT_KEY);
            }
          }
          if (enforceLimits) {
            for (UUID keyring : keyringsGrown) {
              int held = Sql.count(c, "SELECT COUNT(*) FROM objects WHERE keyring_id = ?", keyring);
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
              Sql.update(c, "DELETE FROM cluster_values WHERE name = ?", v.name());
            } else {
              Sql.upsert(c, tx.dialect().upsertClusterValue(), v.name(), after);
            }
          }
          return null;
        });
  }

  private static void checkKeyring(Connection c, KeyringRecord k) throws SQLException {
    if (Sql.count(c, "SELECT COUNT(*) FROM cluster WHERE id = ?", k.clusterId()) == 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "cluster " + k.clusterId() + " does not exist in this store");
    }
    if (Sql.count(c, "SELECT COUNT(*) FROM keyrings WHERE label = ? AND id <> ?", k.label(), k.id())
        > 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "keyring label '" + k.label() + "' is already used; labels must be unique");
    }
  }

  private static void checkObject(JdbcTransaction tx, Connection c, ObjectRecord o)
      throws SQLException {
    if (tx.readKeyring(o.keyringId(), false).isEmpty()) {
      throw new HsmException(
          ResultCode.CKR_SLOT_ID_INVALID, "keyring " + o.keyringId() + " does not exist");
    }
    String sql =
        "SELECT COUNT(*) FROM objects WHERE object_id = ? AND NOT (keyring_id = ? AND handle = ?)";
    if (Sql.count(c, sql, o.objectId(), o.keyringId(), o.handle()) > 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "object id " + o.objectId() + " already exists");
    }
  }
}
