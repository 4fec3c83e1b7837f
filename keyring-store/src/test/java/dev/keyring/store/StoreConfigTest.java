package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreConfigTest {
  private static final String PG = "jdbc:postgresql://127.0.0.1:5432/db";

  private static String refusal(StoreConfig.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void jdbcUrl_mustBeH2OrPostgres_andTheRefusalShowsNoPassword() {
    assertEquals(
        "jdbcUrl must start with jdbc:h2: or jdbc:postgresql:, got 'jdbc:mysql://h/db'",
        refusal(StoreConfig.builder().jdbcUrl("jdbc:mysql://h/db")));
    String m = refusal(StoreConfig.builder().jdbcUrl("jdbc:mysql://h/db?user=u&password=hunter2"));
    assertFalse(m.contains("hunter2"), m);
    assertThrows(NullPointerException.class, () -> StoreConfig.builder().build());
    StoreConfig.builder().jdbcUrl("jdbc:h2:mem:x").build();
    StoreConfig.builder().jdbcUrl(PG).build();
  }

  @Test
  void maxPoolSize_mustBeFrom1To64() {
    assertEquals(
        "maxPoolSize must be between 1 and 64, got 0",
        refusal(StoreConfig.builder().jdbcUrl(PG).maxPoolSize(0)));
    assertEquals(
        "maxPoolSize must be between 1 and 64, got 65",
        refusal(StoreConfig.builder().jdbcUrl(PG).maxPoolSize(65)));
    assertEquals(1, StoreConfig.builder().jdbcUrl(PG).maxPoolSize(1).build().maxPoolSize());
    assertEquals(64, StoreConfig.builder().jdbcUrl(PG).maxPoolSize(64).build().maxPoolSize());
    assertEquals(8, StoreConfig.builder().jdbcUrl(PG).build().maxPoolSize());
  }

  @Test
  void schema_mustBeAPlainIdentifierOfAtMost63Characters() {
    for (String bad : new String[] {"", "1abc", "a-b", "a b", "x\"y", "a;drop", "a".repeat(64)}) {
      String m = refusal(StoreConfig.builder().jdbcUrl(PG).schema(bad));
      assertTrue(m.startsWith("schema must match [A-Za-z_][A-Za-z0-9_]{0,62}"), m);
      assertTrue(m.endsWith("got '" + bad + "'"), m);
    }
    for (String good : new String[] {"a", "_x", "Keyring_01", "a".repeat(63)}) {
      assertEquals(good, StoreConfig.builder().jdbcUrl(PG).schema(good).build().schema());
    }
  }

  @Test
  void toString_neverShowsThePassword() {
    StoreConfig fromBuilder =
        StoreConfig.builder().jdbcUrl(PG).username("keyring").password("s3cret!").build();
    assertFalse(fromBuilder.toString().contains("s3cret!"), fromBuilder.toString());
    StoreConfig inUrl =
        StoreConfig.builder()
            .jdbcUrl(PG + "?user=keyring&password=s3cret!&ssl=false")
            .schema("s1")
            .build();
    assertFalse(inUrl.toString().contains("s3cret!"), inUrl.toString());
    assertTrue(inUrl.toString().contains("ssl=false"), inUrl.toString());
    assertTrue(inUrl.toString().contains("schema s1"), inUrl.toString());
    StoreConfig upper = StoreConfig.builder().jdbcUrl(PG + "?PASSWORD=s3cret!").build();
    assertFalse(upper.toString().contains("s3cret!"), upper.toString());
    StoreConfig h2 =
        StoreConfig.builder()
            .jdbcUrl("jdbc:h2:mem:x;USER=sa;PASSWORD=s3cret!;MODE=Regular")
            .build();
    assertFalse(h2.toString().contains("s3cret!"), h2.toString());
    assertTrue(h2.toString().contains("MODE=Regular"), h2.toString());
  }

  @Test
  void h2File_createsTheDirectory_andBuildsAFileUrl(@TempDir Path tmp) {
    Path dir = tmp.resolve("a/b");
    StoreConfig c = StoreConfig.h2File(dir);
    assertTrue(Files.isDirectory(dir));
    assertEquals(
        "jdbc:h2:file:" + dir.toAbsolutePath() + "/keyring" + StoreConfig.H2_FILE_SETTINGS,
        c.jdbcUrl());
    assertEquals("sa", c.username());
    assertEquals(c.jdbcUrl(), c.toBuilder().build().jdbcUrl());
    assertThrows(IllegalArgumentException.class, () -> StoreConfig.h2File(tmp.resolve("x;y")));
  }
}
