package dev.keyring.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reading the replicated state as a {@link Snapshot} and installing one in place of the state, the
 * log and its base.
 */
final class SnapshotSql {
  /** The replicated tables, children first: the order they are emptied in. */
  private static final List<String> REPLACED_TABLES =
      List.of(
          "objects", "keyrings", "cluster_values", "cluster", "cluster_log", "replication_base");

  private SnapshotSql() {}

  /** Reads the replicated state; {@code c} should be in a repeatable-read transaction. */
  static Snapshot read(Connection c, Dialect dialect) throws SQLException {
    LogPosition position = ReplicationSql.position(c);
    ClusterRecord cluster = Rows.CLUSTER.queryOne(c, Rows.CLUSTER.select()).orElse(null);
    List<KeyringRecord> keyrings = Rows.KEYRINGS.query(c, Rows.KEYRINGS.select() + " ORDER BY id");
    List<ObjectRecord> objects =
        Rows.OBJECTS.query(c, Rows.OBJECTS.select() + " ORDER BY keyring_id, handle");
    Map<String, byte[]> values = new TreeMap<>();
    String sql = "SELECT name, " + dialect.valueColumn() + " FROM cluster_values";
    for (Map.Entry<String, byte[]> e :
        Sql.query(c, sql, rs -> new SimpleImmutableEntry<>(rs.getString(1), rs.getBytes(2)))) {
      values.put(e.getKey(), e.getValue());
    }
    return new Snapshot(position, cluster, keyrings, objects, values);
  }

  /** Replaces the replicated state, the log and the base with the snapshot's. */
  static void install(JdbcTransaction tx, Snapshot s) {
    tx.sql(
        "installing a snapshot at " + s.position(),
        () -> {
          Connection c = tx.connection();
          empty(c);
          if (s.cluster() != null) {
            Rows.CLUSTER.insertAll(c, List.of(s.cluster()));
          }
          Rows.KEYRINGS.insertAll(c, s.keyrings());
          Rows.OBJECTS.insertAll(c, s.objects());
          for (Map.Entry<String, byte[]> e : s.clusterValues().entrySet()) {
            Sql.upsert(c, tx.dialect().upsertClusterValue(), e.getKey(), e.getValue());
          }
          setBase(c, s.position());
          return null;
        });
  }

  /** Empties the replicated tables, the log and its base (in the caller's transaction). */
  static void empty(Connection c) throws SQLException {
    for (String table : REPLACED_TABLES) {
      Sql.update(c, "DELETE FROM " + table);
    }
  }

  /** Makes {@code position} the log's base (after {@link #empty}). */
  static void setBase(Connection c, LogPosition position) throws SQLException {
    Sql.update(
        c,
        "INSERT INTO replication_base (id, seq, epoch) VALUES (1, ?, ?)",
        position.sequence(),
        position.epoch());
  }
}
