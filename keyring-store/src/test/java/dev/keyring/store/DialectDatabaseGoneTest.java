package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.h2.api.ErrorCode;
import org.h2.message.DbException;
import org.h2.mvstore.MVStoreException;
import org.junit.jupiter.api.Test;

/**
 * Which H2 failures retire the pool's connections. After a full disk, a pooled connection whose
 * transaction H2's storage closed answers every statement with a general error caused by {@code
 * MVStoreException: Transaction 1 is closed}; unless that counts as the database gone, the
 * connection stays in the pool and fails again each time it is taken, long after space was freed
 * (seen on a member process: its admin API answered 503 after it had converged).
 */
class DialectDatabaseGoneTest {
  private static SQLException h2(Throwable storage) {
    return DbException.convert(storage).getSQLException();
  }

  @Test
  void aTransactionClosedByTheStorage_isTheDatabaseGone() {
    SQLException e = h2(new MVStoreException(4, "Transaction 1 is closed [2.3.232/4]"));
    assertTrue(Dialect.isDatabaseGone(e), e.toString());
    assertTrue(Dialect.isDatabaseGone(StoreSqlException.wrap("reading the cluster", e)));
  }

  @Test
  void aFailedWriteToTheFile_isTheDatabaseGone() {
    SQLException e =
        h2(new MVStoreException(2, "Writing to sun.nio.ch.FileChannelImpl@1 failed; length 32768"));
    assertTrue(Dialect.isDatabaseGone(e), e.toString());
  }

  @Test
  void aStatementsOwnErrors_andALockTimeout_areNot() {
    assertFalse(
        Dialect.isDatabaseGone(DbException.get(ErrorCode.DUPLICATE_KEY_1, "k").getSQLException()));
    assertFalse(
        Dialect.isDatabaseGone(DbException.get(ErrorCode.LOCK_TIMEOUT_1, "t").getSQLException()));
    assertFalse(
        Dialect.isDatabaseGone(
            DbException.get(ErrorCode.GENERAL_ERROR_1, new IllegalStateException("x"), "x")
                .getSQLException()));
  }
}
