package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's side of replication: the primary's recorded writes and appends, the follower's
 * applies, the log's reads, snapshots. {@link KeyringStore} documents each operation; this class
 * runs them, every append (and snapshot install) taking turns on one lock.
 */
final class ReplicationLog {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationLog.class);

  private final StorePool pool;
  private final TransactionRunner runner;

  /** Serializes every append to the log (and snapshot installs) of this store. */
  private final ReentrantLock logLock = new ReentrantLock();

  ReplicationLog(StorePool pool, TransactionRunner runner) {
    this.pool = pool;
    this.runner = runner;
  }

  /** Runs {@code work} in one committed transaction while holding the log lock. */
  private <T> T locked(Function<JdbcTransaction, T> work) {
    logLock.lock();
    try {
      return runner.transact(work, true);
    } finally {
      logLock.unlock();
    }
  }

  <T> Recorded<T> writeAsPrimary(long epoch, Function<StoreTransaction, T> work) {
    return locked(
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
        });
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

  <T> Recorded<T> speculate(Function<StoreTransaction, T> work) {
    return runner.transact(
        tx -> {
          RecordingTransaction recording = new RecordingTransaction(tx);
          T result = work.apply(recording);
          return new Recorded<>(result, recording.changes(), null);
        },
        false);
  }

  LogEntry appendAsPrimary(long epoch, ChangeSet changes) {
    return locked(
        tx -> {
          Optional<String> mismatch = ReplicationSql.firstMismatch(tx, changes);
          if (mismatch.isPresent()) {
            throw new ReplicationConflictException(mismatch.get());
          }
          ReplicationSql.apply(tx, changes, true);
          LogEntry entry = new LogEntry(nextPosition(tx, epoch), changes);
          ReplicationSql.append(tx, entry);
          return entry;
        });
  }

  void applyEntry(LogEntry entry) {
    LogPosition at = entry.position();
    locked(
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
        });
  }

  LogPosition position() {
    return pool.read("reading the log position", ReplicationSql::position);
  }

  List<LogEntry> entriesAfter(long sequence, int max) {
    return pool.read(
        "reading the log after sequence " + sequence,
        c -> ReplicationSql.entriesAfter(c, sequence, max));
  }

  Optional<Long> epochAt(long sequence) {
    return pool.read(
        "reading the log at sequence " + sequence, c -> ReplicationSql.epochAt(c, sequence));
  }

  Snapshot snapshot() {
    return pool.readConsistent("reading a snapshot", c -> SnapshotSql.read(c, pool.dialect()));
  }

  /**
   * Drops the logged entries up to and including {@code sequence}, which becomes the log's base:
   * the position stays, a follower at or past it is answered from the entries after it, one further
   * behind installs a snapshot. Nothing happens when {@code sequence} is not a logged entry
   * (already compacted, or not yet logged).
   *
   * @return how many entries were dropped
   */
  int compactThrough(long sequence) {
    return locked(
        tx ->
            tx.sql(
                "compacting the log through sequence " + sequence,
                () -> {
                  Connection c = tx.connection();
                  Optional<Long> epoch =
                      Sql.queryOne(
                          c,
                          "SELECT epoch FROM cluster_log WHERE seq = ?",
                          rs -> rs.getLong(1),
                          sequence);
                  if (epoch.isEmpty()) {
                    return 0;
                  }
                  Sql.update(c, "DELETE FROM replication_base");
                  Sql.update(
                      c,
                      "INSERT INTO replication_base (id, seq, epoch) VALUES (1, ?, ?)",
                      sequence,
                      epoch.get());
                  return Sql.update(c, "DELETE FROM cluster_log WHERE seq <= ?", sequence);
                }));
  }

  /** The position the log starts after (its base), {@link LogPosition#ZERO} without one. */
  LogPosition base() {
    return pool.read("reading the log base", ReplicationSql::base);
  }

  /** Writes the state to {@code out} as {@link SnapshotStream} says, in one consistent read. */
  LogPosition writeSnapshot(OutputStream out, int chunk) {
    return pool.readConsistent(
        "streaming a snapshot",
        c -> {
          try {
            return SnapshotStream.write(c, pool.dialect(), out, chunk);
          } catch (IOException e) {
            throw new UncheckedIOException("writing a snapshot failed: " + e.getMessage(), e);
          }
        });
  }

  /** Installs a streamed snapshot in one transaction (rolled back if the stream is cut off). */
  SnapshotStream.Installed installSnapshot(InputStream in, int chunk) {
    SnapshotStream.Installed done = locked(tx -> SnapshotStream.install(tx, in, chunk));
    LOG.info("installed a streamed snapshot: {}", done);
    return done;
  }

  void installSnapshot(Snapshot snapshot) {
    locked(
        tx -> {
          SnapshotSql.install(tx, snapshot);
          return null;
        });
    LOG.info("installed {}", snapshot);
  }
}
