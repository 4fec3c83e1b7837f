package dev.keyring.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable state of one member: its cluster, keyrings, objects (public attributes and SKS blobs)
 * and HSM state, in an H2 file database or PostgreSQL, through a HikariCP pool. The schema is
 * created or migrated by {@link #open}. Every write runs in one transaction ({@link #write}).
 *
 * <p>Thread-safe: any number of threads may read and write at once (up to the pool size at a time;
 * more wait for a connection). Reads outside {@link #write} each see committed data only. Database
 * failures are reported as {@link HsmException} with {@link ResultCode#CKR_DEVICE_ERROR}, saying
 * what failed and the database's message.
 */
public final class KeyringStore implements AutoCloseable {
  /** How many times {@link #write} runs a transaction that keeps hitting transient errors. */
  public static final int MAX_WRITE_ATTEMPTS = 5;

  private static final Logger LOG = LoggerFactory.getLogger(KeyringStore.class);
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final StoreConfig config;
  private final Dialect dialect;
  private final HikariDataSource pool;
  private final int schemaVersion;

  /** Serializes every append to the log (and snapshot installs) of this store. */
  private final ReentrantLock logLock = new ReentrantLock();

  private KeyringStore(
      StoreConfig config, Dialect dialect, HikariDataSource pool, int schemaVersion) {
    this.config = config;
    this.dialect = dialect;
    this.pool = pool;
    this.schemaVersion = schemaVersion;
  }

  /**
   * Opens the database, creating or migrating its schema. When the configuration names a schema, it
   * is created if missing and every connection of the store uses it.
   *
   * @throws HsmException CKR_DEVICE_ERROR when the database cannot be reached, the schema cannot be
   *     created or migrated, or the database's schema is newer than this code knows
   */
  public static KeyringStore open(StoreConfig config) {
    Objects.requireNonNull(config, "config");
    Dialect dialect = Dialect.of(config);
    if (config.schema() != null) {
      createSchema(config, dialect);
    }
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("keyring-store-" + POOLS.incrementAndGet());
    hc.setJdbcUrl(config.jdbcUrl());
    hc.setUsername(config.username());
    hc.setPassword(config.password());
    if (config.schema() != null) {
      hc.setSchema(config.schema());
    }
    hc.setMaximumPoolSize(config.maxPoolSize());
    // At least one connection stays open, so an H2 database (DB_CLOSE_DELAY=0) stays open too;
    // and embedded H2 connections are never retired, which could close and reopen the database.
    hc.setMinimumIdle(1);
    if (dialect == Dialect.H2) {
      hc.setMaxLifetime(0);
    }
    hc.setConnectionTimeout(15_000);
    hc.setAutoCommit(true);
    hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "cannot open the store at " + config + ": " + messageOf(e),
          e);
    }
    try {
      int version = Migrations.migrate(pool, dialect);
      LOG.info("opened keyring store {} ({}, schema version {})", config, dialect, version);
      return new KeyringStore(config, dialect, pool, version);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /**
   * Creates the configured schema if missing, on a connection of its own (before the pool). An
   * existing schema is left alone, so a user without the right to create schemas can use one made
   * for it.
   */
  private static void createSchema(StoreConfig config, Dialect dialect) {
    Properties props = new Properties();
    if (config.username() != null) {
      props.setProperty("user", config.username());
    }
    if (config.password() != null) {
      props.setProperty("password", config.password());
    }
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), props)) {
      boolean exists;
      try (PreparedStatement ps = c.prepareStatement(dialect.schemaExists())) {
        ps.setString(1, config.schema());
        try (ResultSet rs = ps.executeQuery()) {
          exists = rs.next() && rs.getInt(1) > 0;
        }
      }
      if (!exists) {
        try (Statement s = c.createStatement()) {
          s.execute("CREATE SCHEMA IF NOT EXISTS " + Dialect.quote(config.schema()));
        }
      }
    } catch (SQLException e) {
      throw StoreSqlException.wrap(
          "creating schema "
              + config.schema()
              + " in "
              + config.redactedUrl()
              + " ("
              + dialect
              + ")",
          e);
    }
  }

  private static String messageOf(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + root.getMessage();
  }

  /**
   * Runs {@code work} in one transaction and commits it when it returns; rolls back on any
   * exception and rethrows it. An {@link HsmException} thrown by {@code work} (a refusal) passes
   * through unchanged; a failed database call is reported as CKR_DEVICE_ERROR "what failed: the
   * database's message". If a statement failed and {@code work} caught the exception and returned
   * anyway, nothing is committed and that failure is thrown.
   *
   * <p>When the transaction fails on a lock timeout, deadlock or serialization failure (which
   * concurrent writers can cause), the whole of {@code work} runs again on a fresh transaction, up
   * to {@link #MAX_WRITE_ATTEMPTS} times in all, after a short random pause; a refusal is never
   * retried. So {@code work} may run more than once: it should act only through the transaction it
   * is given (and on values it can recompute), and not keep the transaction after returning.
   *
   * <p>Use the {@link StoreTransaction} for everything in the transaction: this store's read
   * methods run on other connections and do not see the transaction's uncommitted writes. Writes do
   * not nest.
   *
   * @return what {@code work} returned
   */
  public <T> T write(Function<StoreTransaction, T> work) {
    Objects.requireNonNull(work, "work");
    return transact(work::apply, true);
  }

  /**
   * Runs {@code work} in one transaction, committed or (when {@code commit} is false) rolled back,
   * retrying transient failures as {@link #write} describes.
   */
  private <T> T transact(Function<JdbcTransaction, T> work, boolean commit) {
    for (int attempt = 1; ; attempt++) {
      try {
        return transactOnce(work, commit);
      } catch (StoreSqlException e) {
        if (!e.isTransient()) {
          throw e;
        }
        if (attempt >= MAX_WRITE_ATTEMPTS) {
          throw e.withNote("gave up after " + attempt + " attempts");
        }
        LOG.debug("transient failure on attempt {}, retrying: {}", attempt, e.detail());
        pause(attempt);
      }
    }
  }

  private static void pause(int attempt) {
    long bound = 10L << Math.min(attempt, 5); // 20, 40, 80, 160 ms
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(bound / 2, bound));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "interrupted while waiting to retry a transaction", e);
    }
  }

  private <T> T transactOnce(Function<JdbcTransaction, T> work, boolean commit) {
    Connection c = connection("getting a connection for a transaction");
    try {
      JdbcTransaction tx;
      try {
        c.setAutoCommit(false);
        tx = new JdbcTransaction(c, dialect);
      } catch (SQLException e) {
        throw StoreSqlException.wrap("starting a transaction", e);
      }
      T result;
      try {
        result = work.apply(tx);
      } catch (Throwable t) {
        tx.end();
        rollbackQuietly(c, t);
        throw t;
      }
      tx.end();
      if (tx.failure() != null) {
        StoreSqlException failure = tx.failure();
        rollbackQuietly(c, failure);
        throw failure;
      }
      if (!commit) {
        try {
          c.rollback();
        } catch (SQLException e) {
          throw StoreSqlException.wrap("rolling back the transaction", e);
        }
        return result;
      }
      try {
        c.commit();
      } catch (SQLException e) {
        StoreSqlException failure = StoreSqlException.wrap("committing the transaction", e);
        rollbackQuietly(c, failure);
        throw failure;
      }
      return result;
    } finally {
      closeQuietly(c);
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.setAutoCommit(true);
    } catch (SQLException e) {
      LOG.debug("resetting auto-commit failed: {}", e.getMessage());
    }
    try {
      c.close();
    } catch (SQLException e) {
      LOG.warn("returning a connection to the pool failed: {}", e.getMessage());
    }
  }

  private Connection connection(String what) {
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      throw StoreSqlException.wrap(what, e);
    }
  }

  @FunctionalInterface
  private interface SqlRead<T> {
    T read(Connection c) throws SQLException;
  }

  private <T> T read(String what, SqlRead<T> reader) {
    try (Connection c = connection(what)) {
      return reader.read(c);
    } catch (SQLException e) {
      throw StoreSqlException.wrap(what, e);
    }
  }

  private <T> List<T> list(String what, String sql, Object param, RowReader<T> rows) {
    return read(
        what,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) {
              ps.setObject(1, param);
            }
            try (ResultSet rs = ps.executeQuery()) {
              List<T> out = new ArrayList<>();
              while (rs.next()) {
                out.add(rows.map(rs));
              }
              return out;
            }
          }
        });
  }

  @FunctionalInterface
  private interface RowReader<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private static <T> Optional<T> single(List<T> rows) {
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  /** The store's cluster, or empty before {@link StoreTransaction#createCluster}. */
  public Optional<ClusterRecord> cluster() {
    return single(
        list(
            "reading the cluster",
            "SELECT " + Rows.CLUSTER_COLUMNS + " FROM cluster",
            null,
            Rows::cluster));
  }

  /** The keyring with this id, if it exists. */
  public Optional<KeyringRecord> keyring(UUID keyringId) {
    Objects.requireNonNull(keyringId, "keyringId");
    return single(
        list(
            "reading keyring " + keyringId,
            "SELECT " + Rows.KEYRING_READ_COLUMNS + " FROM keyrings WHERE id = ?",
            keyringId,
            Rows::keyring));
  }

  /** The keyring with this label, if it exists (labels are unique). */
  public Optional<KeyringRecord> keyringByLabel(String label) {
    Objects.requireNonNull(label, "label");
    return single(
        list(
            "reading keyring '" + label + "'",
            "SELECT " + Rows.KEYRING_READ_COLUMNS + " FROM keyrings WHERE label = ?",
            label,
            Rows::keyring));
  }

  /**
   * All keyrings, by label (in {@link String#compareTo} order, whatever the database's collation).
   */
  public List<KeyringRecord> keyrings() {
    List<KeyringRecord> all =
        list(
            "reading the keyrings",
            "SELECT " + Rows.KEYRING_READ_COLUMNS + " FROM keyrings",
            null,
            Rows::keyring);
    all.sort(Comparator.comparing(KeyringRecord::label));
    return List.copyOf(all);
  }

  /** How many keyrings the store holds. */
  public int keyringCount() {
    return count("counting keyrings", "SELECT COUNT(*) FROM keyrings", null);
  }

  /** The object with this handle in this keyring, if it exists. */
  public Optional<ObjectRecord> object(UUID keyringId, long handle) {
    Objects.requireNonNull(keyringId, "keyringId");
    return single(
        read(
            "reading object " + handle + " of keyring " + keyringId,
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT "
                          + Rows.OBJECT_COLUMNS
                          + " FROM objects WHERE keyring_id = ? AND handle = ?")) {
                ps.setObject(1, keyringId);
                ps.setLong(2, handle);
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next() ? List.of(Rows.object(rs)) : List.<ObjectRecord>of();
                }
              }
            }));
  }

  /**
   * The keyring's objects whose attributes match every attribute of {@code template}, by handle. An
   * empty template matches every object; an unknown keyring has none.
   */
  public List<ObjectRecord> findObjects(UUID keyringId, Attributes template) {
    Objects.requireNonNull(keyringId, "keyringId");
    Objects.requireNonNull(template, "template");
    List<ObjectRecord> all =
        list(
            "reading the objects of keyring " + keyringId,
            "SELECT " + Rows.OBJECT_COLUMNS + " FROM objects WHERE keyring_id = ? ORDER BY handle",
            keyringId,
            Rows::object);
    all.removeIf(o -> !o.attributes().matches(template));
    return List.copyOf(all);
  }

  /** How many objects the keyring holds (0 for an unknown keyring). */
  public int objectCount(UUID keyringId) {
    Objects.requireNonNull(keyringId, "keyringId");
    return count(
        "counting the objects of keyring " + keyringId,
        "SELECT COUNT(*) FROM objects WHERE keyring_id = ?",
        keyringId);
  }

  private int count(String what, String sql, Object param) {
    return list(what, sql, param, rs -> rs.getInt(1)).get(0);
  }

  /** A named entry of the member's HSM state, if set. The bytes are a copy. */
  public Optional<byte[]> hsmState(String name) {
    Objects.requireNonNull(name, "name");
    return single(
        list(
            "reading HSM state '" + name + "'",
            "SELECT " + dialect.valueColumn() + " FROM hsm_state WHERE name = ?",
            name,
            rs -> rs.getBytes(1)));
  }

  /**
   * A SHA-256 digest (hex) of the whole replicated state: cluster, keyrings and objects, in a
   * canonical order. Two stores with the same state give the same digest, on H2 and PostgreSQL
   * alike. Creation times and the HSM state are not part of it; a keyring's next handle is. Read in
   * one repeatable-read transaction, so it is the digest of one committed state.
   */
  public String stateDigest() {
    return read(
        "computing the state digest",
        c -> {
          c.setAutoCommit(false);
          c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
          try {
            return StateDigest.compute(c);
          } finally {
            c.rollback();
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
          }
        });
  }

  // ------------------------------------------------------------------ replication

  /**
   * Runs {@code work} as one write of the primary: like {@link #write} (one transaction, transient
   * failures retried), but the rows it changes are recorded and, if any changed, appended to the
   * log as the entry (epoch, last sequence + 1) in the same transaction. All appends of this store
   * take turns on one lock. Inside {@code work}, member-local writes ({@code createCluster}, {@code
   * deleteCluster}, {@code putHsmState}, {@code deleteHsmState}) throw {@link
   * IllegalStateException}.
   *
   * @param epoch the primary's epoch; refused (CKR_FUNCTION_FAILED) when older than the log's last
   * @return the result, the change set and the entry (null when nothing changed)
   */
  public <T> Recorded<T> writeAsPrimary(long epoch, Function<StoreTransaction, T> work) {
    Objects.requireNonNull(work, "work");
    logLock.lock();
    try {
      return transact(
          tx -> {
            RecordingTransaction recording = new RecordingTransaction(tx);
            T result = work.apply(recording);
            ChangeSet changes = recording.changes();
            if (changes.isEmpty()) {
              return new Recorded<>(result, changes, null);
            }
            LogEntry entry = new LogEntry(nextPosition(tx, epoch), changes);
            ReplicationSql.append(tx, entry);
            return new Recorded<>(result, changes, entry);
          },
          true);
    } finally {
      logLock.unlock();
    }
  }

  private static LogPosition nextPosition(JdbcTransaction tx, long epoch) {
    LogPosition last = ReplicationSql.position(tx);
    if (epoch < last.epoch()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "epoch "
              + epoch
              + " is older than epoch "
              + last.epoch()
              + " of the log's last entry "
              + last
              + "; a deposed primary may not append");
    }
    return new LogPosition(epoch, last.sequence() + 1);
  }

  /**
   * Runs {@code work} as {@link #writeAsPrimary} would, records the rows it changes, and rolls the
   * transaction back: nothing changes and nothing is logged. What a follower sends its primary.
   *
   * @return the result and the change set; the entry is null
   */
  public <T> Recorded<T> speculate(Function<StoreTransaction, T> work) {
    Objects.requireNonNull(work, "work");
    return transact(
        tx -> {
          RecordingTransaction recording = new RecordingTransaction(tx);
          T result = work.apply(recording);
          return new Recorded<>(result, recording.changes(), null);
        },
        false);
  }

  /**
   * Appends a change set recorded elsewhere (a follower's {@link #speculate}) as the primary: in
   * one transaction, checks that every row's before-image equals the row as it is, writes the
   * after-images and appends the entry (epoch, last sequence + 1). The same limits as the normal
   * writes apply, with the same codes (3,500 keyrings, 256 objects per keyring, unique labels and
   * object ids).
   *
   * @throws ReplicationConflictException when a before-image does not match; nothing changed
   */
  public LogEntry appendAsPrimary(long epoch, ChangeSet changes) {
    Objects.requireNonNull(changes, "changes");
    if (changes.isEmpty()) {
      throw new IllegalArgumentException("an empty change set is not appended to the log");
    }
    logLock.lock();
    try {
      return transact(
          tx -> {
            Optional<String> mismatch = ReplicationSql.firstMismatch(tx, changes);
            if (mismatch.isPresent()) {
              throw new ReplicationConflictException(mismatch.get());
            }
            ReplicationSql.apply(tx, changes, true);
            LogEntry entry = new LogEntry(nextPosition(tx, epoch), changes);
            ReplicationSql.append(tx, entry);
            return entry;
          },
          true);
    } finally {
      logLock.unlock();
    }
  }

  /**
   * Applies an entry of the primary's log (the follower's side), in one transaction: its sequence
   * must follow {@link #position()} and its epoch must not be older; every before-image must match;
   * then the after-images are written and the entry logged. An entry this store's log already holds
   * at the same (epoch, sequence) is ignored.
   *
   * @throws ReplicationGapException when the entry does not follow the log, or the store has
   *     diverged (a before-image does not match); nothing changed
   */
  public void applyEntry(LogEntry entry) {
    Objects.requireNonNull(entry, "entry");
    LogPosition at = entry.position();
    logLock.lock();
    try {
      transact(
          tx -> {
            LogPosition have = ReplicationSql.position(tx);
            if (at.sequence() <= have.sequence()) {
              if (ReplicationSql.holds(tx, at)) {
                return null;
              }
              throw new ReplicationGapException(
                  "entry " + at + " does not match this store's log at sequence " + at.sequence(),
                  have);
            }
            if (at.sequence() != have.sequence() + 1) {
              throw new ReplicationGapException(
                  "entry " + at + " leaves a gap after sequence " + have.sequence(), have);
            }
            if (at.epoch() < have.epoch()) {
              throw new ReplicationGapException(
                  "entry " + at + " has an epoch older than the log's last " + have.epoch(), have);
            }
            Optional<String> mismatch = ReplicationSql.firstMismatch(tx, entry.changes());
            if (mismatch.isPresent()) {
              throw new ReplicationGapException(
                  "this store diverged from the log: entry "
                      + at
                      + " expects another "
                      + mismatch.get(),
                  have);
            }
            ReplicationSql.apply(tx, entry.changes(), false);
            ReplicationSql.append(tx, entry);
            return null;
          },
          true);
    } finally {
      logLock.unlock();
    }
  }

  /**
   * The position of the log's last entry; the installed snapshot's position when no entry follows
   * it; {@link LogPosition#ZERO} for an empty log.
   */
  public LogPosition position() {
    return read("reading the log position", ReplicationSql::position);
  }

  /** Up to {@code max} logged entries with sequence above {@code sequence}, in order. */
  public List<LogEntry> entriesAfter(long sequence, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1, got " + max);
    }
    return read(
        "reading the log after sequence " + sequence,
        c -> ReplicationSql.entriesAfter(c, sequence, max));
  }

  /**
   * The epoch of the logged entry at {@code sequence}, or of the installed snapshot when {@code
   * sequence} is its position (0 for sequence 0 before any snapshot); empty otherwise.
   */
  public Optional<Long> epochAt(long sequence) {
    return read(
        "reading the log at sequence " + sequence, c -> ReplicationSql.epochAt(c, sequence));
  }

  /**
   * The replicated state (cluster row, keyrings, objects, cluster values) and the log position it
   * is at, read in one repeatable-read transaction.
   */
  public Snapshot snapshot() {
    return read(
        "reading a snapshot",
        c -> {
          c.setAutoCommit(false);
          c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
          try {
            return ReplicationSql.readSnapshot(c, dialect);
          } finally {
            c.rollback();
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
          }
        });
  }

  /**
   * Replaces the replicated state with {@code snapshot}'s, in one transaction: objects, keyrings,
   * cluster values, the cluster row and the log are deleted, the snapshot's rows inserted exactly
   * (ids, handles, next handles, times), and its position becomes the log's base, so {@link
   * #position()} equals it afterwards. The HSM state is not touched.
   */
  public void installSnapshot(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    logLock.lock();
    try {
      transact(
          tx -> {
            ReplicationSql.install(tx, snapshot);
            return null;
          },
          true);
      LOG.info("installed {}", snapshot);
    } finally {
      logLock.unlock();
    }
  }

  /** A named cluster value, if set. The bytes are a copy. */
  public Optional<byte[]> clusterValue(String name) {
    Objects.requireNonNull(name, "name");
    return single(
        list(
            "reading cluster value '" + name + "'",
            "SELECT " + dialect.valueColumn() + " FROM cluster_values WHERE name = ?",
            name,
            rs -> rs.getBytes(1)));
  }

  /** The version of the store's schema (the latest this code knows, once open). */
  public int schemaVersion() {
    return schemaVersion;
  }

  /** The configuration the store was opened with. */
  public StoreConfig config() {
    return config;
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    return pool.isClosed();
  }

  /**
   * Closes the pool. Every committed write is already durable; an H2 database closes (releasing its
   * file) with the pool's last connection. Idempotent.
   */
  @Override
  public void close() {
    if (!pool.isClosed()) {
      pool.close();
      LOG.info("closed keyring store {}", config);
    }
  }

  /** The configuration, without credentials. */
  @Override
  public String toString() {
    return "KeyringStore[" + config + "]";
  }
}
