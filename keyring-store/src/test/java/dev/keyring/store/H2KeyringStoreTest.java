package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on an H2 file database, a new one for each test. */
@DisplayName("store contract on H2")
class H2KeyringStoreTest extends KeyringStoreContract {
  @TempDir Path tempDir;

  @BeforeAll
  static void banner() {
    System.out.println(
        "store contract: running on H2 jdbc:h2:file:<temp dir>/<database>/keyring"
            + StoreConfig.H2_FILE_SETTINGS
            + " (a fresh file database and schema per test)");
  }

  @Override
  protected String backend() {
    return "H2";
  }

  @Override
  protected StoreConfig config(String database, String schema) {
    return StoreConfig.h2File(tempDir.resolve(database)).toBuilder().schema(schema).build();
  }

  @Override
  protected List<String> killWriterArgs(StoreConfig config) {
    String url = config.jdbcUrl();
    String file = url.substring("jdbc:h2:file:".length(), url.indexOf(';'));
    return List.of("h2", Path.of(file).getParent().toString(), config.schema());
  }

  @Test
  void h2File_createsTheDirectory_andOpensWithTheDefaultSchema() throws Exception {
    Path dir = tempDir.resolve("nested/dir/that/does/not/exist");
    StoreConfig config = StoreConfig.h2File(dir);
    assertTrue(Files.isDirectory(dir));
    assertEquals(null, config.schema());
    UUID cluster;
    try (KeyringStore s = KeyringStore.open(config)) {
      cluster = createCluster(s);
      createKeyring(s, cluster, "k");
    }
    assertTrue(Files.exists(dir.resolve("keyring.mv.db")));
    try (KeyringStore s = KeyringStore.open(config)) {
      assertEquals(cluster, s.cluster().orElseThrow().id());
      assertEquals(1, s.keyringCount());
    }
  }

  @Test
  void h2File_settingsAreInEffectOnTheOpenDatabase() throws Exception {
    Map<String, String> settings = new HashMap<>();
    // a second connection in the same JVM shares the open database
    try (Connection c = DriverManager.getConnection(storeConfig.jdbcUrl(), "sa", "");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS")) {
      while (rs.next()) {
        settings.put(rs.getString(1), rs.getString(2));
      }
    }
    assertEquals("0", settings.get("WRITE_DELAY"), settings.toString());
    assertEquals("45000", settings.get("RETENTION_TIME"), settings.toString());
  }

  @Test
  void h2File_urlWritesEveryCommitAtOnce_andUsesAnOsFileLock() {
    String url = StoreConfig.h2File(tempDir.resolve("u")).jdbcUrl();
    assertTrue(url.startsWith("jdbc:h2:file:"), url);
    assertTrue(url.contains(";WRITE_DELAY=0"), url);
    assertTrue(url.contains(";FILE_LOCK=FS"), url);
    assertTrue(url.contains(";DB_CLOSE_DELAY=0"), url);
  }
}
