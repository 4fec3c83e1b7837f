package dev.keyring.store;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A {@link StoreTransaction} on one JDBC connection with auto-commit off. {@link TransactionRunner}
 * commits or rolls back; this class only runs statements, writing rows through the bindings of
 * {@link Rows}.
 *
 * <p>Every refusal is decided by reads done before the first write of the method, so a refused call
 * leaves the transaction as it was. A failed statement, by contrast, "poisons" the transaction: the
 * failure is remembered and {@link KeyringStore#write} will not commit, even when the work function
 * caught the exception and returned (PostgreSQL would refuse the rest of the transaction anyway,
 * and H2 would otherwise commit half a method).
 */
final class JdbcTransaction implements StoreTransaction {
  /** What an object's own update changes: its attributes and blob. */
  private static final List<String> OBJECT_CONTENT = List.of("attributes", "blob");

  /** An object's update matches its key and its id. */
  private static final List<String> OBJECT_IDENTITY = List.of("keyring_id", "handle", "object_id");

  private final Connection connection;
  private final Dialect dialect;
  private StoreSqlException failure;
  private boolean ended;

  JdbcTransaction(Connection connection, Dialect dialect) {
    this.connection = connection;
    this.dialect = dialect;
  }

  /** The first statement failure of this transaction, or null. */
  StoreSqlException failure() {
    return failure;
  }

  /** Marks the transaction ended: any later call is refused. */
  void end() {
    ended = true;
  }

  @Override
  public ClusterRecord createCluster(UUID id, String label) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(label, "label");
    return sql(
        "creating cluster " + id,
        () -> {
          // The schema_version rows are the store-wide lock: two concurrent createCluster calls
          // take turns, and the second sees the first's cluster.
          try (PreparedStatement ps =
                  connection.prepareStatement("SELECT version FROM schema_version FOR UPDATE");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              // locking every row
            }
          }
          Optional<ClusterRecord> held = Rows.CLUSTER.queryOne(connection, Rows.CLUSTER.select());
          if (held.isPresent()) {
            throw new HsmException(
                ResultCode.CKR_FUNCTION_FAILED,
                "the store already holds cluster "
                    + held.get().id()
                    + "; a store holds one cluster, so cluster "
                    + id
                    + " cannot be created in it");
          }
          ClusterRecord cluster = new ClusterRecord(id, label, Rows.now());
          Rows.CLUSTER.insertAll(connection, List.of(cluster));
          return cluster;
        });
  }

  @Override
  public List<KeyringRecord> createKeyrings(UUID clusterId, List<KeyringRecord> keyrings) {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(keyrings, "keyrings");
    List<KeyringRecord> toCreate = KeyringCreation.check(clusterId, keyrings);
    if (toCreate.isEmpty()) {
      checkUsable();
      return List.of();
    }
    return sql(
        "creating " + toCreate.size() + " keyrings in cluster " + clusterId,
        () -> KeyringCreation.insert(connection, clusterId, toCreate));
  }

  @Override
  public Optional<KeyringRecord> lockKeyring(UUID keyringId) {
    Objects.requireNonNull(keyringId, "keyringId");
    return sql("locking keyring " + keyringId, () -> readKeyring(keyringId, true));
  }

  @Override
  public void updateKeyring(KeyringRecord keyring) {
    Objects.requireNonNull(keyring, "keyring");
    sql(
        "updating keyring " + keyring.id(),
        () -> {
          if (Rows.KEYRINGS.update(connection, keyring, Rows.KEYRING_STATE, Rows.KEYRING_KEY)
              == 0) {
            throw new HsmException(
                ResultCode.CKR_SLOT_ID_INVALID,
                "keyring " + keyring.id() + " ('" + keyring.label() + "') does not exist");
          }
          return null;
        });
  }

  @Override
  public boolean deleteKeyring(UUID keyringId) {
    Objects.requireNonNull(keyringId, "keyringId");
    return sql(
        "deleting keyring " + keyringId,
        () -> Sql.update(connection, "DELETE FROM keyrings WHERE id = ?", keyringId) > 0);
  }

  @Override
  public ObjectRecord insertObject(
      UUID keyringId, UUID objectId, ObjectClass objectClass, Attributes attributes, byte[] blob) {
    Objects.requireNonNull(keyringId, "keyringId");
    return insertObjects(keyringId, List.of(new NewObject(objectId, objectClass, attributes, blob)))
        .get(0);
  }

  @Override
  public List<ObjectRecord> insertObjects(UUID keyringId, List<NewObject> objects) {
    Objects.requireNonNull(keyringId, "keyringId");
    Objects.requireNonNull(objects, "objects");
    java.util.Set<UUID> ids = new java.util.HashSet<>();
    for (NewObject o : objects) {
      if (!ids.add(Objects.requireNonNull(o, "object").objectId())) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD, "object id " + o.objectId() + " appears twice");
      }
    }
    return sql(
        "inserting " + objects.size() + " objects into keyring " + keyringId,
        () -> {
          long handle =
              Sql.queryOne(
                      connection,
                      "SELECT next_handle FROM keyrings WHERE id = ? FOR UPDATE",
                      rs -> rs.getLong(1),
                      keyringId)
                  .orElseThrow(
                      () ->
                          new HsmException(
                              ResultCode.CKR_SLOT_ID_INVALID,
                              "keyring " + keyringId + " does not exist"));
          int held =
              Sql.count(connection, "SELECT COUNT(*) FROM objects WHERE keyring_id = ?", keyringId);
          int max = KeyringLimits.MAX_OBJECTS_PER_KEYRING;
          if (held + objects.size() > max) {
            throw new HsmException(
                ResultCode.CKR_DEVICE_MEMORY,
                "keyring "
                    + keyringId
                    + " holds "
                    + held
                    + " objects; adding "
                    + objects.size()
                    + " more would pass the limit of "
                    + max);
          }
          Optional<String> used =
              Sql.firstExisting(connection, "objects", "object_id", List.copyOf(ids));
          if (used.isPresent()) {
            throw new HsmException(
                ResultCode.CKR_ARGUMENTS_BAD, "object id " + used.get() + " already exists");
          }
          if (objects.isEmpty()) {
            return List.<ObjectRecord>of();
          }
          java.time.Instant now = Rows.now();
          List<ObjectRecord> rows = new java.util.ArrayList<>(objects.size());
          for (NewObject o : objects) {
            rows.add(
                new ObjectRecord(
                    keyringId,
                    handle++,
                    o.objectId(),
                    o.objectClass(),
                    o.attributes(),
                    o.blob(),
                    now));
          }
          Rows.OBJECTS.insertAll(connection, rows);
          Sql.update(
              connection, "UPDATE keyrings SET next_handle = ? WHERE id = ?", handle, keyringId);
          return List.copyOf(rows);
        });
  }

  @Override
  public void updateObject(ObjectRecord object) {
    Objects.requireNonNull(object, "object");
    sql(
        "updating object " + object.handle() + " of keyring " + object.keyringId(),
        () -> {
          if (Rows.OBJECTS.update(connection, object, OBJECT_CONTENT, OBJECT_IDENTITY) == 0) {
            throw new HsmException(
                ResultCode.CKR_OBJECT_HANDLE_INVALID,
                "keyring "
                    + object.keyringId()
                    + " has no object with handle "
                    + object.handle()
                    + " and id "
                    + object.objectId());
          }
          return null;
        });
  }

  @Override
  public void putObject(ObjectRecord object) {
    Objects.requireNonNull(object, "object");
    UUID keyringId = object.keyringId();
    long handle = object.handle();
    sql(
        "putting object " + handle + " of keyring " + keyringId,
        () -> {
          long next =
              Sql.queryOne(
                      connection,
                      "SELECT next_handle FROM keyrings WHERE id = ? FOR UPDATE",
                      rs -> rs.getLong(1),
                      keyringId)
                  .orElseThrow(
                      () ->
                          new HsmException(
                              ResultCode.CKR_SLOT_ID_INVALID,
                              "keyring " + keyringId + " does not exist"));
          String sqlOther =
              "SELECT COUNT(*) FROM objects WHERE object_id = ? AND NOT (keyring_id = ? AND"
                  + " handle = ?)";
          if (Sql.count(connection, sqlOther, object.objectId(), keyringId, handle) > 0) {
            throw new HsmException(
                ResultCode.CKR_ARGUMENTS_BAD,
                "object id " + object.objectId() + " already exists in another place");
          }
          boolean present =
              Sql.count(
                      connection,
                      "SELECT COUNT(*) FROM objects WHERE keyring_id = ? AND handle = ?",
                      keyringId,
                      handle)
                  > 0;
          if (present) {
            Sql.update(
                connection,
                "DELETE FROM objects WHERE keyring_id = ? AND handle = ?",
                keyringId,
                handle);
          } else {
            int held =
                Sql.count(
                    connection, "SELECT COUNT(*) FROM objects WHERE keyring_id = ?", keyringId);
            if (held >= KeyringLimits.MAX_OBJECTS_PER_KEYRING) {
              throw new HsmException(
                  ResultCode.CKR_DEVICE_MEMORY,
                  "keyring "
                      + keyringId
                      + " holds "
                      + held
                      + " objects; adding 1 more would pass the limit of "
                      + KeyringLimits.MAX_OBJECTS_PER_KEYRING);
            }
          }
          Rows.OBJECTS.insertAll(connection, List.of(object));
          if (next <= handle) {
            Sql.update(
                connection,
                "UPDATE keyrings SET next_handle = ? WHERE id = ?",
                handle + 1,
                keyringId);
          }
          return null;
        });
  }

  @Override
  public boolean deleteObject(UUID keyringId, long handle) {
    Objects.requireNonNull(keyringId, "keyringId");
    return sql(
        "deleting object " + handle + " of keyring " + keyringId,
        () ->
            Sql.update(
                    connection,
                    "DELETE FROM objects WHERE keyring_id = ? AND handle = ?",
                    keyringId,
                    handle)
                > 0);
  }

  @Override
  public void putHsmState(String name, byte[] value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    sql(
        "setting HSM state '" + name + "'",
        () -> {
          Sql.upsert(connection, dialect.upsertHsmState(), name, value);
          return null;
        });
  }

  @Override
  public boolean deleteCluster(UUID clusterId) {
    Objects.requireNonNull(clusterId, "clusterId");
    return sql(
        "deleting cluster " + clusterId,
        () -> {
          // objects go with their keyrings (ON DELETE CASCADE)
          Sql.update(connection, "DELETE FROM keyrings WHERE cluster_id = ?", clusterId);
          boolean deleted =
              Sql.update(connection, "DELETE FROM cluster WHERE id = ?", clusterId) > 0;
          if (deleted) {
            // the cluster's replicated values and its log go with it
            for (String table : List.of("cluster_values", "cluster_log", "replication_base")) {
              Sql.update(connection, "DELETE FROM " + table);
            }
          }
          return deleted;
        });
  }

  @Override
  public boolean deleteHsmState(String name) {
    Objects.requireNonNull(name, "name");
    return sql(
        "deleting HSM state '" + name + "'",
        () -> Sql.update(connection, "DELETE FROM hsm_state WHERE name = ?", name) > 0);
  }

  @Override
  public Optional<ObjectRecord> object(UUID keyringId, long handle) {
    Objects.requireNonNull(keyringId, "keyringId");
    return sql(
        "reading object " + handle + " of keyring " + keyringId,
        () -> readObject(keyringId, handle, false));
  }

  @Override
  public Optional<byte[]> clusterValue(String name) {
    Objects.requireNonNull(name, "name");
    return sql("reading cluster value '" + name + "'", () -> readClusterValue(name, false));
  }

  @Override
  public Optional<byte[]> lockClusterValue(String name) {
    Objects.requireNonNull(name, "name");
    return sql("locking cluster value '" + name + "'", () -> readClusterValue(name, true));
  }

  @Override
  public void putClusterValue(String name, byte[] value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (name.length() > 256) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "cluster value names are at most 256 characters, got " + name.length());
    }
    sql(
        "setting cluster value '" + name + "'",
        () -> {
          Sql.upsert(connection, dialect.upsertClusterValue(), name, value);
          return null;
        });
  }

  @Override
  public boolean deleteClusterValue(String name) {
    Objects.requireNonNull(name, "name");
    return sql(
        "deleting cluster value '" + name + "'",
        () -> Sql.update(connection, "DELETE FROM cluster_values WHERE name = ?", name) > 0);
  }

  // ------------------------------------------------------------------ row reads for replication

  /** The connection, for {@link ReplicationSql} (through {@link #sql} only). */
  Connection connection() {
    return connection;
  }

  Dialect dialect() {
    return dialect;
  }

  /** The keyring row as this transaction sees it, optionally locked; call inside {@link #sql}. */
  Optional<KeyringRecord> readKeyring(UUID keyringId, boolean lock) throws SQLException {
    String sql = Rows.KEYRINGS.select() + " WHERE id = ?" + (lock ? " FOR UPDATE" : "");
    return Rows.KEYRINGS.queryOne(connection, sql, keyringId);
  }

  /** The object row as this transaction sees it, optionally locked; call inside {@link #sql}. */
  Optional<ObjectRecord> readObject(UUID keyringId, long handle, boolean lock) throws SQLException {
    String sql =
        Rows.OBJECTS.select()
            + " WHERE keyring_id = ? AND handle = ?"
            + (lock ? " FOR UPDATE" : "");
    return Rows.OBJECTS.queryOne(connection, sql, keyringId, handle);
  }

  /** The keyring's objects by handle, locked; call inside {@link #sql}. */
  List<ObjectRecord> readObjects(UUID keyringId) throws SQLException {
    String sql = Rows.OBJECTS.select() + " WHERE keyring_id = ? ORDER BY handle FOR UPDATE";
    return Rows.OBJECTS.query(connection, sql, keyringId);
  }

  /** The cluster value, optionally locked; call inside {@link #sql}. */
  Optional<byte[]> readClusterValue(String name, boolean lock) throws SQLException {
    String sql =
        "SELECT "
            + dialect.valueColumn()
            + " FROM cluster_values WHERE name = ?"
            + (lock ? " FOR UPDATE" : "");
    return Sql.queryOne(connection, sql, rs -> rs.getBytes(1), name);
  }

  /** One database step of a method: SQL failures are wrapped and poison the transaction. */
  @FunctionalInterface
  interface SqlWork<T> {
    T run() throws SQLException;
  }

  /**
   * Runs one database step: refused after the transaction ended or failed; a {@link SQLException}
   * is wrapped, remembered (so nothing is committed) and thrown.
   */
  <T> T sql(String what, SqlWork<T> work) {
    checkUsable();
    try {
      return work.run();
    } catch (SQLException e) {
      StoreSqlException wrapped = StoreSqlException.wrap(what, e);
      if (failure == null) {
        failure = wrapped;
      }
      throw wrapped;
    }
  }

  private void checkUsable() {
    if (ended) {
      throw new IllegalStateException(
          "this transaction has ended: use the StoreTransaction only inside the write function"
              + " it was given to");
    }
    if (failure != null) {
      throw failure.followUp(
          "an earlier statement of this transaction failed, so it will be rolled back");
    }
  }

  @Override
  public String toString() {
    return "JdbcTransaction[" + dialect + (ended ? " ended" : "") + "]";
  }
}
