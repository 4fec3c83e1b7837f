package dev.keyring.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's database: opening it (schema, HikariCP pool, migrations) and handing out connections,
 * for one read or one transaction at a time.
 */
final class StorePool {
  private static final Logger LOG = LoggerFactory.getLogger(StorePool.class);
  private static final AtomicInteger POOLS = new AtomicInteger();

  /** One database read on a connection of the pool. */
  @FunctionalInterface
  interface SqlRead<T> {
    T read(Connection c) throws SQLException;
  }

  private final StoreConfig config;
  private final Dialect dialect;
  private final HikariDataSource pool;
  private volatile boolean healthy = true;
  private final int schemaVersion;

  private StorePool(StoreConfig config, Dialect dialect, HikariDataSource pool, int version) {
    this.config = config;
    this.dialect = dialect;
    this.pool = pool;
    this.schemaVersion = version;
  }

  /**
   * Opens the database, creating or migrating its schema. When the configuration names a schema, it
   * is created if missing and every connection of the pool uses it.
   *
   * @throws HsmException CKR_DEVICE_ERROR when the database cannot be reached, the schema cannot be
   *     created or migrated, or the database's schema is newer than this code knows
   */
  static StorePool open(StoreConfig config) {
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
      return new StorePool(config, dialect, pool, version);
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
      if (Sql.count(c, dialect.schemaExists(), config.schema()) == 0) {
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

  StoreConfig config() {
    return config;
  }

  Dialect dialect() {
    return dialect;
  }

  int schemaVersion() {
    return schemaVersion;
  }

  /** A connection of the pool (auto-commit, read committed); {@code what} names the failure. */
  Connection connection(String what) {
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      throw StoreSqlException.wrap(what, e);
    }
  }

  /** Runs one read on a connection of its own; a failure is reported as "what: message". */
  <T> T read(String what, SqlRead<T> reader) {
    try {
      T result;
      try (Connection c = connection(what)) {
        result = reader.read(c);
      } catch (SQLException e) {
        throw StoreSqlException.wrap(what, e);
      }
      succeeded();
      return result;
    } catch (StoreSqlException e) {
      failed(e);
      throw e;
    }
  }

  /**
   * Whether the last statement succeeded: false after a failure of the database itself (closed
   * after an I/O error, such as a full disk) until a statement succeeds again.
   */
  boolean healthy() {
    return healthy;
  }

  void succeeded() {
    if (!healthy) {
      healthy = true;
      LOG.info("the keyring store answers again: {}", config);
    }
  }

  /**
   * After a failure: when the database itself is gone (H2 closes a database whose file could not be
   * written, for instance on a full disk), every connection of the pool is retired, so that the
   * next statement opens the database again (from its last committed state) instead of failing on a
   * dead connection until a restart.
   */
  void failed(StoreSqlException e) {
    if (!Dialect.isDatabaseGone(e)) {
      return;
    }
    if (healthy) {
      healthy = false;
      LOG.warn(
          "the keyring store failed ({}); its connections are replaced, and it is opened again"
              + " at the next statement",
          e.getMessage());
    }
    if (!pool.isClosed()) {
      pool.getHikariPoolMXBean().softEvictConnections();
    }
  }

  /**
   * Runs one read in a repeatable-read transaction, rolled back after: everything it reads comes
   * from one committed state.
   */
  <T> T readConsistent(String what, SqlRead<T> reader) {
    return read(
        what,
        c -> {
          c.setAutoCommit(false);
          c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
          try {
            return reader.read(c);
          } finally {
            c.rollback();
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
          }
        });
  }

  /** Puts a connection back in auto-commit mode and returns it to the pool, logging failures. */
  static void release(Connection c) {
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

  boolean isClosed() {
    return pool.isClosed();
  }

  /** Closes the pool (idempotent); reports whether this call closed it. */
  boolean close() {
    if (pool.isClosed()) {
      return false;
    }
    pool.close();
    return true;
  }
}
