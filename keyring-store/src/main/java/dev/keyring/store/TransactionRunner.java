package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs work in one {@link JdbcTransaction} on a connection of the pool: committed when the work
 * returns (or rolled back, for a speculative run), rolled back on any exception, and run again on a
 * fresh transaction after a transient failure, up to {@link KeyringStore#MAX_WRITE_ATTEMPTS} times.
 */
final class TransactionRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionRunner.class);

  private final StorePool pool;

  TransactionRunner(StorePool pool) {
    this.pool = pool;
  }

  /**
   * Runs {@code work} in one transaction, committed or (when {@code commit} is false) rolled back,
   * retrying transient failures as {@link KeyringStore#write} describes.
   */
  <T> T transact(Function<JdbcTransaction, T> work, boolean commit) {
    for (int attempt = 1; ; attempt++) {
      try {
        T result = transactOnce(work, commit);
        pool.succeeded();
        return result;
      } catch (StoreSqlException e) {
        pool.failed(e);
        if (!e.isTransient()) {
          throw e;
        }
        if (attempt >= KeyringStore.MAX_WRITE_ATTEMPTS) {
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
    Connection c = pool.connection("getting a connection for a transaction");
    try {
      JdbcTransaction tx;
      try {
        c.setAutoCommit(false);
        tx = new JdbcTransaction(c, pool.dialect());
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
      StorePool.release(c);
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }
}
