package dev.keyring.store;

import java.sql.SQLException;
import java.util.Set;

/**
 * What differs between H2 and PostgreSQL: column types, the upsert, and which errors are transient.
 */
enum Dialect {
  H2("VARBINARY", "VARCHAR", "\"VALUE\"") {
    @Override
    String schemaExists() {
      return "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?";
    }

    @Override
    String upsertHsmState() {
      return upsert("hsm_state");
    }

    @Override
    String upsertClusterValue() {
      return upsert("cluster_values");
    }

    private String upsert(String table) {
      return "MERGE INTO " + table + " (name, " + valueColumn() + ") KEY (name) VALUES (?, ?)";
    }
  },
  POSTGRESQL("BYTEA", "TEXT", "value") {
    @Override
    String schemaExists() {
      // pg_namespace lists every schema, also those the user has no privilege on
      return "SELECT COUNT(*) FROM pg_catalog.pg_namespace WHERE nspname = ?";
    }

    @Override
    String upsertHsmState() {
      return upsert("hsm_state");
    }

    @Override
    String upsertClusterValue() {
      return upsert("cluster_values");
    }

    private String upsert(String table) {
      return "INSERT INTO "
          + table
          + " (name, "
          + valueColumn()
          + ") VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
          + valueColumn()
          + " = EXCLUDED."
          + valueColumn();
    }
  };

  /**
   * SQL states of errors a concurrent writer can cause and that a fresh attempt can clear: 40001
   * (PostgreSQL serialization failure; H2 deadlock), 40P01 (PostgreSQL deadlock), 55P03 (PostgreSQL
   * lock not available) and HYT00 (H2 lock timeout).
   */
  private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "55P03", "HYT00");

  /** H2 error codes of the same kind: deadlock, lock timeout, concurrent update. */
  private static final Set<Integer> TRANSIENT_H2_CODES = Set.of(40001, 50200, 90131);

  // DATABASE_IS_CLOSED, DATABASE_CALLED_AT_SHUTDOWN, IO_EXCEPTION_1, IO_EXCEPTION_2, FILE_CORRUPTED
  private static final Set<Integer> GONE_H2_CODES = Set.of(90098, 90121, 90028, 90031, 90030);

  // GENERAL_ERROR_1: how H2 reports a failure of its storage layer (MVStoreException) it has no
  // code for, such as a write that failed on a full disk, or a connection's transaction that the
  // storage closed then ("Transaction 1 is closed"): such a connection never works again
  private static final int H2_GENERAL_ERROR = 50000;

  private final String binaryType;
  private final String textType;
  private final String valueColumn;

  Dialect(String binaryType, String textType, String valueColumn) {
    this.binaryType = binaryType;
    this.textType = textType;
    this.valueColumn = valueColumn;
  }

  /** The dialect of a URL already checked by {@link StoreConfig.Builder#build()}. */
  static Dialect of(StoreConfig config) {
    return config.isH2() ? H2 : POSTGRESQL;
  }

  /** A variable-length binary column type of no set length. */
  String binaryType() {
    return binaryType;
  }

  /** A variable-length character column type for JSON text. */
  String textType() {
    return textType;
  }

  /** The {@code hsm_state.value} column as SQL must name it (VALUE is a keyword in H2). */
  String valueColumn() {
    return valueColumn;
  }

  /** Counts the schemas of one exact name; parameter: the name. */
  abstract String schemaExists();

  /** Inserts or replaces one {@code hsm_state} row; parameters: name, value. */
  abstract String upsertHsmState();

  /** Inserts or replaces one {@code cluster_values} row; parameters: name, value. */
  abstract String upsertClusterValue();

  /** A schema name as a quoted identifier, so it is used exactly as written. */
  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /**
   * Whether {@code e}, or any exception chained to it, is a lock timeout, deadlock or serialization
   * failure: an error a retry of the whole transaction can clear.
   */
  /**
   * Whether {@code e} says the database itself is gone rather than one statement failing: H2's
   * "database closed" (after a failed write to its file, such as on a full disk), its I/O errors
   * and the general errors of its storage layer (a connection whose transaction it closed then);
   * PostgreSQL's connection failures (class 08) and shutdown (57P01..57P03).
   */
  static boolean isDatabaseGone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if (state != null
            && (state.startsWith("08")
                || state.equals("57P01")
                || state.equals("57P02")
                || state.equals("57P03"))) {
          return true;
        }
        if (s.getClass().getName().startsWith("org.h2.")
            && (GONE_H2_CODES.contains(s.getErrorCode())
                || s.getErrorCode() == H2_GENERAL_ERROR && isH2StorageFailure(s.getCause()))) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static boolean isH2StorageFailure(Throwable cause) {
    return cause != null && cause.getClass().getName().equals("org.h2.mvstore.MVStoreException");
  }

  static boolean isTransient(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException && isTransientOne((SQLException) t)) {
        return true;
      }
    }
    for (SQLException next = e.getNextException(); next != null; next = next.getNextException()) {
      if (isTransientOne(next)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isTransientOne(SQLException e) {
    String state = e.getSQLState();
    if (state != null && TRANSIENT_STATES.contains(state)) {
      return true;
    }
    return e.getClass().getName().startsWith("org.h2.")
        && TRANSIENT_H2_CODES.contains(e.getErrorCode());
  }
}
