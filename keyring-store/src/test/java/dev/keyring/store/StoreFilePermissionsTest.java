package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The H2 store's directory is owner-only (700) and its database files owner-only (600), new or left
 * by an earlier version with looser permissions. Runs where the file system has POSIX permissions.
 */
class StoreFilePermissionsTest {
  @TempDir Path dir;

  @BeforeEach
  void posixOnly() {
    assumeTrue(
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
        "the file system has no POSIX permissions");
  }

  private static String permissions(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static Path databaseFile(Path storeDir) {
    return storeDir.resolve(StoreConfig.H2_FILE_NAME + ".mv.db");
  }

  @Test
  void newStore_directoryIs700_andItsDatabaseFileIs600_openAndClosed() throws Exception {
    Path storeDir = dir.resolve("data").resolve("store");
    try (KeyringStore store = KeyringStore.open(StoreConfig.h2File(storeDir))) {
      assertEquals("rwx------", permissions(storeDir));
      assertTrue(Files.exists(databaseFile(storeDir)));
      assertEquals("rw-------", permissions(databaseFile(storeDir)));
      store.write(tx -> tx.createCluster(java.util.UUID.randomUUID(), "c"));
    }
    assertEquals("rw-------", permissions(databaseFile(storeDir)));
    try (Stream<Path> files = Files.list(storeDir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        assertEquals("rw-------", permissions(p), p.toString());
      }
    }
  }

  @Test
  void storeLeftWithLoosePermissions_isMadeOwnerOnly_whenOpened() throws Exception {
    Path storeDir = dir.resolve("store");
    KeyringStore.open(StoreConfig.h2File(storeDir)).close();
    Files.setPosixFilePermissions(storeDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        databaseFile(storeDir), PosixFilePermissions.fromString("rw-r--r--"));

    try (KeyringStore store = KeyringStore.open(StoreConfig.h2File(storeDir))) {
      assertEquals("rwx------", permissions(storeDir));
      assertEquals("rw-------", permissions(databaseFile(storeDir)));
    }
  }

  @Test
  void ownerOnlyDirectory_createsMissingParents_andTightensAnExistingOne() throws Exception {
    Path nested = dir.resolve("a").resolve("b");
    OwnerOnlyFiles.directory(nested);
    assertEquals("rwx------", permissions(nested));
    Files.setPosixFilePermissions(nested, PosixFilePermissions.fromString("rwxrwxrwx"));
    OwnerOnlyFiles.directory(nested);
    assertEquals("rwx------", permissions(nested));
  }
}
