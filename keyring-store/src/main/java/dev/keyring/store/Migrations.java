package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Creates or migrates the store's schema. Each step brings the schema from the version before it to
 * its own version; {@code schema_version} holds one row per applied step. To change the schema, add
 * a step to {@link #STEPS} with the next version: never edit a step that has shipped.
 */
final class Migrations {

  /** One migration step: the statements that bring the schema to {@code version}. */
  record Step(int version, String description, Function<Dialect, List<String>> statements) {}

  /** Every step, in version order, starting at 1. */
  static final List<Step> STEPS =
      List.of(
          new Step(1, "cluster, keyrings, objects, hsm_state", Migrations::version1),
          new Step(2, "cluster_log, cluster_values, replication_base", Migrations::version2));

  private Migrations() {}

  /** The version the last step brings the schema to. */
  static int latestVersion() {
    return STEPS.get(STEPS.size() - 1).version();
  }

  /**
   * Version 1. Types are those both databases accept (UUID, BOOLEAN, BIGINT, TIMESTAMP WITH TIME
   * ZONE, VARCHAR without a length); binary and JSON columns come from the dialect. Every statement
   * is idempotent, since H2 commits DDL at once and a step cut short must be able to run again.
   */
  private static List<String> version1(Dialect d) {
    return List.of(
        "CREATE TABLE IF NOT EXISTS cluster ("
            + " id UUID PRIMARY KEY,"
            + " label VARCHAR NOT NULL,"
            + " created_at TIMESTAMP WITH TIME ZONE NOT NULL)",
        "CREATE TABLE IF NOT EXISTS keyrings ("
            + " id UUID PRIMARY KEY,"
            + " cluster_id UUID NOT NULL REFERENCES cluster (id),"
            + " label VARCHAR NOT NULL,"
            + " credential_verifier VARCHAR NOT NULL,"
            + " password_change_required BOOLEAN NOT NULL,"
            + " krco_initialized BOOLEAN NOT NULL,"
            + " locked BOOLEAN NOT NULL,"
            + " failed_logins INT NOT NULL,"
            + " next_handle BIGINT NOT NULL,"
            + " created_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            + " CONSTRAINT keyrings_label_unique UNIQUE (label))",
        "CREATE INDEX IF NOT EXISTS keyrings_cluster_idx ON keyrings (cluster_id)",
        "CREATE TABLE IF NOT EXISTS objects ("
            + " keyring_id UUID NOT NULL REFERENCES keyrings (id) ON DELETE CASCADE,"
            + " handle BIGINT NOT NULL,"
            + " object_id UUID NOT NULL,"
            + " object_class VARCHAR(32) NOT NULL,"
            + " attributes "
            + d.textType()
            + " NOT NULL,"
            + " blob "
            + d.binaryType()
            + ","
            + " created_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            + " PRIMARY KEY (keyring_id, handle),"
            + " CONSTRAINT objects_object_id_unique UNIQUE (object_id))",
        "CREATE TABLE IF NOT EXISTS hsm_state ("
            + " name VARCHAR(256) PRIMARY KEY,"
            + " "
            + d.valueColumn()
            + " "
            + d.binaryType()
            + " NOT NULL)");
  }

  /**
   * Version 2: replication. {@code cluster_log} holds the log entries (the encoded {@link LogEntry}
   * as payload), {@code cluster_values} named replicated values, {@code replication_base} (at most
   * one row, id 1) the position of the last installed snapshot, where the log starts.
   */
  private static List<String> version2(Dialect d) {
    return List.of(
        "CREATE TABLE IF NOT EXISTS cluster_log ("
            + " seq BIGINT PRIMARY KEY,"
            + " epoch BIGINT NOT NULL,"
            + " payload "
            + d.binaryType()
            + " NOT NULL,"
            + " appended_at TIMESTAMP WITH TIME ZONE NOT NULL)",
        "CREATE TABLE IF NOT EXISTS cluster_values ("
            + " name VARCHAR(256) PRIMARY KEY,"
            + " "
            + d.valueColumn()
            + " "
            + d.binaryType()
            + " NOT NULL)",
        "CREATE TABLE IF NOT EXISTS replication_base ("
            + " id INT PRIMARY KEY,"
            + " seq BIGINT NOT NULL,"
            + " epoch BIGINT NOT NULL)");
  }

  /**
   * Brings the schema of {@code ds} (its connections' current schema) to {@link #latestVersion()}.
   *
   * @return the version the schema is at
   * @throws HsmException CKR_DEVICE_ERROR when a statement fails or the database's schema is newer
   *     than this code knows
   */
  static int migrate(DataSource ds, Dialect dialect) {
    try (Connection c = ds.getConnection()) {
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
                + " version INT PRIMARY KEY,"
                + " description VARCHAR(200) NOT NULL,"
                + " applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
      }
      c.setAutoCommit(false);
      try {
        int version = migrateLocked(c, dialect);
        c.commit();
        return version;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException rollbackFailure) {
          e.addSuppressed(rollbackFailure);
        }
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw StoreSqlException.wrap("creating or migrating the store's schema", e);
    }
  }

  private static int migrateLocked(Connection c, Dialect dialect) throws SQLException {
    if (dialect == Dialect.POSTGRESQL) {
      // Two stores opening one fresh schema at once: the second waits, then finds it done.
      try (Statement s = c.createStatement()) {
        s.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE");
      }
    }
    int current;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
      rs.next();
      current = rs.getInt(1);
    }
    int latest = latestVersion();
    if (current > latest) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "the database's schema is at version "
              + current
              + ", newer than version "
              + latest
              + " that this keyring-store knows; open it with a newer keyring-store");
    }
    for (Step step : STEPS) {
      if (step.version() <= current) {
        continue;
      }
      try (Statement s = c.createStatement()) {
        for (String sql : step.statements().apply(dialect)) {
          s.execute(sql);
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
        ps.setInt(1, step.version());
        ps.setString(2, step.description());
        ps.setObject(3, OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS));
        ps.executeUpdate();
      }
      current = step.version();
    }
    return current;
  }
}
