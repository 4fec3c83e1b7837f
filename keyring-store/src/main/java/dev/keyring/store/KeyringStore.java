package dev.keyring.store;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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
 *
 * <p>A façade: {@link StorePool} opens the database and hands out connections, {@link
 * TransactionRunner} runs and retries transactions, {@link ReplicationLog} keeps the cluster log
 * and snapshots; rows are bound to statements in one place, {@link Rows}.
 */
public final class KeyringStore implements AutoCloseable {
  /** How many times {@link #write} runs a transaction that keeps hitting transient errors. */
  public static final int MAX_WRITE_ATTEMPTS = 5;

  /** How often an open H2 file store checks whether its file should be compacted. */
  public static final long FILE_COMPACTION_INTERVAL_SECONDS = 30;

  /** How long one compaction pass may hold writers back (checked between chunk moves). */
  static final int FILE_COMPACTION_MAX_MILLIS = 1_000;

  private static final Logger LOG = LoggerFactory.getLogger(KeyringStore.class);

  // one thread for every store of the process: passes never run two at a time
  private static final ScheduledExecutorService MAINTENANCE =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "keyring-store-maintenance");
            t.setDaemon(true);
            return t;
          });

  private final StorePool pool;
  private final TransactionRunner runner;
  private final ReplicationLog log;
  private volatile ScheduledFuture<?> maintenance;
  // passes left out after one that gained little, and how many the last time (the one thread)
  private int skipPasses;
  private int skipBackoff;
  // the file's size after the last compaction (0: none yet)
  private final java.util.concurrent.atomic.AtomicLong compactedBytes =
      new java.util.concurrent.atomic.AtomicLong();

  private KeyringStore(StorePool pool) {
    this.pool = pool;
    this.runner = new TransactionRunner(pool);
    this.log = new ReplicationLog(pool, runner);
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
    KeyringStore store = new KeyringStore(StorePool.open(config));
    try {
      store.restrictFiles();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    if (config.h2FileBase().isPresent()) {
      store.maintenance =
          MAINTENANCE.scheduleWithFixedDelay(
              store::compactQuietly,
              FILE_COMPACTION_INTERVAL_SECONDS,
              FILE_COMPACTION_INTERVAL_SECONDS,
              TimeUnit.SECONDS);
    }
    return store;
  }

  /**
   * Compacts an H2 file store's file when it is at least 8 MiB and at least twice the size the last
   * complete compaction left (a pass that ran out of time is taken up by the next): the space H2
   * keeps for old commits (45 s worth of them, some 15 KiB each) is given back to the file system.
   * An open H2 file store does this by itself every {@link #FILE_COMPACTION_INTERVAL_SECONDS}
   * seconds; writers wait during a pass (about a second at most), readers do not. Nothing for
   * PostgreSQL, which reclaims space itself (autovacuum).
   *
   * @throws HsmException CKR_DEVICE_ERROR when the database fails
   */
  public FileCompaction compactFileIfGrown() {
    long threshold = Math.max(H2FileCompaction.MIN_FILE_BYTES, 2 * compactedBytes.get());
    return compacted(H2FileCompaction.run(pool, FILE_COMPACTION_MAX_MILLIS, threshold));
  }

  /** Compacts an H2 file store's file whatever its size, without a time bound. */
  public FileCompaction compactFile() {
    return compacted(H2FileCompaction.run(pool, Integer.MAX_VALUE, 0));
  }

  private FileCompaction compacted(FileCompaction c) {
    if (c.ran() && c.complete() && 2 * c.bytesAfter() <= c.bytesBefore()) {
      compactedBytes.set(c.bytesAfter()); // all moved: the next pass waits until the file doubles
    }
    return c;
  }

  private void compactQuietly() {
    if (pool.isClosed() || !pool.healthy()) {
      return;
    }
    if (skipPasses > 0) {
      skipPasses--;
      return;
    }
    try {
      FileCompaction c = compactFileIfGrown();
      if (c.ran() && 2 * c.bytesAfter() > c.bytesBefore()) {
        // it gained little (the space is still held by versions in use, or the data is live):
        // wait longer before the next try, up to 16 intervals
        skipBackoff = Math.min(16, Math.max(1, 2 * skipBackoff));
        skipPasses = skipBackoff;
      } else if (c.ran()) {
        skipBackoff = 0;
      }
    } catch (RuntimeException e) {
      LOG.warn(
          "compacting the keyring store's file failed (tried again later): {}", e.getMessage());
    }
  }

  /** Makes an H2 file database's files owner-only (they were just created, or closed). */
  private void restrictFiles() {
    pool.config()
        .h2FileBase()
        .ifPresent(f -> OwnerOnlyFiles.files(f.getParent(), f.getFileName().toString() + "."));
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
    return runner.transact(work::apply, true);
  }

  private <T> List<T> list(String what, String sql, RowTable.Reader<T> rows, Object... params) {
    return pool.read(what, c -> Sql.query(c, sql, rows, params));
  }

  private <T> Optional<T> single(
      String what, String sql, RowTable.Reader<T> rows, Object... params) {
    return pool.read(what, c -> Sql.queryOne(c, sql, rows, params));
  }

  private int count(String what, String sql, Object... params) {
    return pool.read(what, c -> Sql.count(c, sql, params));
  }

  /** The store's cluster, or empty before {@link StoreTransaction#createCluster}. */
  public Optional<ClusterRecord> cluster() {
    return single("reading the cluster", Rows.CLUSTER.select(), Rows::cluster);
  }

  /** The keyring with this id, if it exists. */
  public Optional<KeyringRecord> keyring(UUID keyringId) {
    Objects.requireNonNull(keyringId, "keyringId");
    return single(
        "reading keyring " + keyringId,
        Rows.KEYRINGS.select() + " WHERE id = ?",
        Rows::keyring,
        keyringId);
  }

  /** The keyring with this label, if it exists (labels are unique). */
  public Optional<KeyringRecord> keyringByLabel(String label) {
    Objects.requireNonNull(label, "label");
    return single(
        "reading keyring '" + label + "'",
        Rows.KEYRINGS.select() + " WHERE label = ?",
        Rows::keyring,
        label);
  }

  /**
   * All keyrings, by label (in {@link String#compareTo} order, whatever the database's collation).
   */
  public List<KeyringRecord> keyrings() {
    List<KeyringRecord> all = list("reading the keyrings", Rows.KEYRINGS.select(), Rows::keyring);
    all.sort(Comparator.comparing(KeyringRecord::label));
    return List.copyOf(all);
  }

  /** How many keyrings the store holds. */
  public int keyringCount() {
    return count("counting keyrings", "SELECT COUNT(*) FROM keyrings");
  }

  /** The object with this handle in this keyring, if it exists. */
  public Optional<ObjectRecord> object(UUID keyringId, long handle) {
    Objects.requireNonNull(keyringId, "keyringId");
    return single(
        "reading object " + handle + " of keyring " + keyringId,
        Rows.OBJECTS.select() + " WHERE keyring_id = ? AND handle = ?",
        Rows::object,
        keyringId,
        handle);
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
            Rows.OBJECTS.select() + " WHERE keyring_id = ? ORDER BY handle",
            Rows::object,
            keyringId);
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

  /** A named entry of the member's HSM state, if set. The bytes are a copy. */
  public Optional<byte[]> hsmState(String name) {
    Objects.requireNonNull(name, "name");
    return namedValue("hsm_state", "reading HSM state '" + name + "'", name);
  }

  /** A named cluster value, if set. The bytes are a copy. */
  public Optional<byte[]> clusterValue(String name) {
    Objects.requireNonNull(name, "name");
    return namedValue("cluster_values", "reading cluster value '" + name + "'", name);
  }

  /**
   * Every cluster value whose name starts with {@code prefix}, by name (in {@link String#compareTo}
   * order, whatever the database's collation). The bytes are copies.
   */
  public SortedMap<String, byte[]> clusterValues(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    String escaped = prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    String sql =
        "SELECT name, "
            + pool.dialect().valueColumn()
            + " FROM cluster_values WHERE name LIKE ? ESCAPE '!'";
    SortedMap<String, byte[]> out = new TreeMap<>();
    for (Map.Entry<String, byte[]> e :
        list(
            "reading the cluster values named " + prefix + "...",
            sql,
            rs -> Map.entry(rs.getString(1), rs.getBytes(2)),
            escaped + "%")) {
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  private Optional<byte[]> namedValue(String table, String what, String name) {
    String sql = "SELECT " + pool.dialect().valueColumn() + " FROM " + table + " WHERE name = ?";
    return single(what, sql, rs -> rs.getBytes(1), name);
  }

  /**
   * A SHA-256 digest (hex) of the whole replicated state: cluster, keyrings and objects, in a
   * canonical order. Two stores with the same state give the same digest, on H2 and PostgreSQL
   * alike. Creation times and the HSM state are not part of it; a keyring's next handle is. Read in
   * one repeatable-read transaction, so it is the digest of one committed state.
   */
  public String stateDigest() {
    return pool.readConsistent("computing the state digest", StateDigest::compute);
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
    return log.writeAsPrimary(epoch, work);
  }

  /**
   * Runs {@code work} as {@link #writeAsPrimary} would, records the rows it changes, and rolls the
   * transaction back: nothing changes and nothing is logged. What a follower sends its primary.
   *
   * @return the result and the change set; the entry is null
   */
  public <T> Recorded<T> speculate(Function<StoreTransaction, T> work) {
    Objects.requireNonNull(work, "work");
    return log.speculate(work);
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
    return log.appendAsPrimary(epoch, changes);
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
    log.applyEntry(entry);
  }

  /**
   * The position of the log's last entry; the installed snapshot's position when no entry follows
   * it; {@link LogPosition#ZERO} for an empty log.
   */
  public LogPosition position() {
    return log.position();
  }

  /** Up to {@code max} logged entries with sequence above {@code sequence}, in order. */
  public List<LogEntry> entriesAfter(long sequence, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1, got " + max);
    }
    return log.entriesAfter(sequence, max);
  }

  /**
   * The epoch of the logged entry at {@code sequence}, or of the installed snapshot when {@code
   * sequence} is its position (0 for sequence 0 before any snapshot); empty otherwise.
   */
  public Optional<Long> epochAt(long sequence) {
    return log.epochAt(sequence);
  }

  /**
   * Drops the logged entries through {@code sequence} (every member holds them); it becomes the
   * log's base. A no-op when {@code sequence} is not a logged entry.
   *
   * @return how many entries were dropped
   */
  public int compactLogThrough(long sequence) {
    return log.compactThrough(sequence);
  }

  /** The position the log starts after: the last compaction or installed snapshot, else ZERO. */
  public LogPosition logBase() {
    return log.base();
  }

  /**
   * The replicated state (cluster row, keyrings, objects, cluster values) and the log position it
   * is at, read in one repeatable-read transaction.
   */
  public Snapshot snapshot() {
    return log.snapshot();
  }

  /**
   * Replaces the replicated state with {@code snapshot}'s, in one transaction: objects, keyrings,
   * cluster values, the cluster row and the log are deleted, the snapshot's rows inserted exactly
   * (ids, handles, next handles, times), and its position becomes the log's base, so {@link
   * #position()} equals it afterwards. The HSM state is not touched.
   */
  public void installSnapshot(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    log.installSnapshot(snapshot);
  }

  /**
   * Writes the replicated state to {@code out} as it reads it, in the form {@link SnapshotStream}
   * describes: one repeatable-read transaction (every row at the returned position), {@code chunk}
   * rows per query, so memory does not grow with the state.
   *
   * @throws java.io.UncheckedIOException when writing to {@code out} failed
   */
  public LogPosition writeSnapshot(OutputStream out, int chunk) {
    Objects.requireNonNull(out, "out");
    return log.writeSnapshot(out, positiveChunk(chunk));
  }

  /**
   * As {@link #installSnapshot(Snapshot)}, from a stream {@link #writeSnapshot} wrote, read and
   * inserted {@code chunk} rows at a time in one transaction: a stream cut off, broken or malformed
   * rolls it back, leaving the state as it was.
   *
   * @throws HsmException CKR_ARGUMENTS_BAD for a malformed or cut-off stream
   * @throws java.io.UncheckedIOException when reading {@code in} failed
   */
  public SnapshotStream.Installed installSnapshot(InputStream in, int chunk) {
    Objects.requireNonNull(in, "in");
    return log.installSnapshot(in, positiveChunk(chunk));
  }

  private static int positiveChunk(int chunk) {
    if (chunk < 1 || chunk > 100_000) {
      throw new IllegalArgumentException("a snapshot chunk is 1 to 100,000 rows, not " + chunk);
    }
    return chunk;
  }

  /**
   * Whether the store answered its last statement: false after the database itself failed (a full
   * disk, a lost database connection) until a statement succeeds again. The store reopens the
   * database by itself at the next statement; nothing needs a restart.
   */
  public boolean healthy() {
    return pool.healthy();
  }

  /** The version of the store's schema (the latest this code knows, once open). */
  public int schemaVersion() {
    return pool.schemaVersion();
  }

  /** The configuration the store was opened with. */
  public StoreConfig config() {
    return pool.config();
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
    ScheduledFuture<?> m = maintenance;
    if (m != null) {
      m.cancel(false);
    }
    if (pool.close()) {
      try {
        restrictFiles();
      } catch (java.io.UncheckedIOException e) {
        LOG.warn(
            "closed keyring store {}, but could not make its files owner-only", pool.config(), e);
        return;
      }
      LOG.info("closed keyring store {}", pool.config());
    }
  }

  /** The configuration, without credentials. */
  @Override
  public String toString() {
    return "KeyringStore[" + pool.config() + "]";
  }
}
