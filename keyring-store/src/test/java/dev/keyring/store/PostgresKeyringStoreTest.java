package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The store contract on PostgreSQL, in a new schema with a random name for each test (dropped after
 * it). The database is given by the environment variable {@value #URL_VARIABLE}, a {@code
 * jdbc:postgresql://...} URL with {@code user} and {@code password} query parameters. Without it
 * every test is skipped, loudly (a {@code WARNING:} line on stderr and the assumption's message);
 * in CI ({@code CI=true}) every test fails instead.
 */
@DisplayName("store contract on PostgreSQL")
class PostgresKeyringStoreTest extends KeyringStoreContract {
  /** The environment variable naming the test database. */
  static final String URL_VARIABLE = "KEYRING_TEST_JDBC_URL";

  private static final String EXAMPLE =
      URL_VARIABLE + "='jdbc:postgresql://127.0.0.1:5432/keyring_test?user=...&password=...'";

  private static final String URL = System.getenv(URL_VARIABLE);

  private static final boolean IN_CI = "true".equalsIgnoreCase(System.getenv("CI"));

  private static String skipMessage() {
    return "WARNING: store contract on PostgreSQL SKIPPED: "
        + URL_VARIABLE
        + " is not set, so the PostgreSQL backend is NOT tested. Set "
        + EXAMPLE
        + " to run it.";
  }

  @BeforeAll
  static void banner() {
    if (URL == null || URL.isBlank()) {
      if (!IN_CI) {
        System.err.println(skipMessage());
      }
      return;
    }
    if (URL.startsWith("jdbc:postgresql:")) {
      System.out.println(
          "store contract: running on PostgreSQL "
              + StoreConfig.builder().jdbcUrl(URL).build()
              + " (a fresh schema per test)");
    }
  }

  @Override
  protected void requireBackend() {
    if (URL == null || URL.isBlank()) {
      if (IN_CI) {
        fail(
            URL_VARIABLE
                + " is required in CI (CI=true): the store contract must run on PostgreSQL"
                + " there. Start PostgreSQL and set "
                + EXAMPLE);
      }
      Assumptions.assumeTrue(false, skipMessage());
    }
    if (!URL.startsWith("jdbc:postgresql:")) {
      fail(URL_VARIABLE + " must be a jdbc:postgresql: URL");
    }
  }

  @Override
  protected String backend() {
    return "PostgreSQL";
  }

  @Override
  protected StoreConfig config(String database, String schema) {
    return StoreConfig.builder().jdbcUrl(URL).schema(schema).build();
  }

  @Override
  protected List<String> killWriterArgs(StoreConfig config) {
    return List.of("postgresql", config.schema());
  }

  @Override
  protected void cleanUp(StoreConfig config) throws Exception {
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + Dialect.quote(config.schema()) + " CASCADE");
    }
  }
}
