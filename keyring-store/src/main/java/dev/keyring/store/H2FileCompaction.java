package dev.keyring.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.RandomAccessStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives an open H2 file store's unused space back to the file system.
 *
 * <p>H2's MVStore writes every commit as a new chunk and reuses the space of old chunks only after
 * the retention time ({@link StoreConfig#H2_FILE_SETTINGS}: 45 s), so a member under a steady
 * stream of writes holds about 45 s worth of commits (some 15 KiB each) in its file; and the file
 * never shrinks while open, whatever the live data: H2 moves chunks only in its background writer,
 * which {@code WRITE_DELAY=0} turns off (measured: 200,000 small commits in 60 s left a 2.9 GB file
 * that stayed 2.9 GB at rest). A pass here, once the file is at least {@code threshold} bytes, does
 * what H2 does when a database closes: it moves the live chunks to the start of the file and
 * truncates the rest, then sets the retention time back. Writers wait while chunks move (the pass
 * is bounded by {@code maxMillis}, checked between moves); readers do not. H2's fill rate cannot
 * pick the moment: chunks inside the retention time count as live.
 *
 * <p>While chunks move the retention time is 0, as during H2's own close: the moved chunks are
 * written before the old ones are freed, so the death of the process at any point leaves a
 * consistent file; only a power failure in that window relies on the disk's write ordering.
 */
final class H2FileCompaction {
  /** Files smaller than this are left alone. */
  static final long MIN_FILE_BYTES = 8L * 1024 * 1024;

  /** Chunks less live than this (percent) have their live pages rewritten elsewhere. */
  private static final int REWRITE_BELOW_FILL_RATE = 90;

  /** At most this many bytes of chunks are moved per step of a pass (a step is not timed). */
  private static final long MOVE_STEP_BYTES = 64L * 1024 * 1024;

  /** At most this many bytes of live pages are rewritten per step of a pass. */
  private static final int MOVE_BYTES = 16 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(H2FileCompaction.class);

  private H2FileCompaction() {}

  /** Compacts the file behind {@code pool} when it is at least {@code threshold} bytes. */
  static FileCompaction run(StorePool pool, int maxMillis, long threshold) {
    if (pool.config().h2FileBase().isEmpty()) {
      return new FileCompaction(false, 0, 0, true, 0);
    }
    try (Connection c = pool.connection("compacting the store's file")) {
      MVStore mv = mvStore(c);
      if (mv == null || mv.isClosed()) {
        return new FileCompaction(false, 0, 0, true, 0);
      }
      FileStore<?> file = mv.getFileStore();
      long before = file.size();
      if (before < threshold) {
        return new FileCompaction(false, before, before, true, 0);
      }
      int retention = mv.getRetentionTime();
      long t0 = System.nanoTime();
      long stopAt = t0 + Math.min(maxMillis, Integer.MAX_VALUE / 2) * 1_000_000L;
      boolean progress = true;
      try {
        mv.setRetentionTime(0); // as H2's own compaction: old chunks may be reused at once
        long size = before;
        while (progress && System.nanoTime() - stopAt < 0) {
          // the live pages of sparse chunks rewritten and stored, then chunks moved towards the
          // start of the file and its end cut off (H2's compactFile moves only after a rewrite, so
          // a file whose chunks are dense but far apart would never shrink)
          boolean rewritten = mv.compact(REWRITE_BELOW_FILL_RATE, MOVE_BYTES);
          mv.commit();
          if (file instanceof RandomAccessStore r) {
            // every chunk that can move closer to the start in one step: they are read and written
            // one at a time, and each step ends with two syncs, so few large steps beat many small
            r.compactMoveChunks(101, MOVE_STEP_BYTES, mv);
          }
          long now = file.size();
          progress = rewritten || now < size;
          size = now;
        }
      } finally {
        mv.setRetentionTime(retention);
      }
      long millis = (System.nanoTime() - t0) / 1_000_000;
      long after = file.size();
      LOG.info(
          "compacted the store's file: {} -> {} bytes in {} ms{}",
          before,
          after,
          millis,
          progress ? " (out of time: the next pass goes on)" : "");
      return new FileCompaction(true, before, after, !progress, millis);
    } catch (SQLException e) {
      throw StoreSqlException.wrap("compacting the store's file", e);
    }
  }

  private static MVStore mvStore(Connection c) throws SQLException {
    JdbcConnection h2 = c.unwrap(JdbcConnection.class);
    if (!(h2.getSession() instanceof SessionLocal local)) {
      return null; // a server connection: its file is not in this process
    }
    org.h2.mvstore.db.Store store = local.getDatabase().getStore();
    return store == null ? null : store.getMvStore();
  }
}
