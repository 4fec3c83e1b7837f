package dev.keyring.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member's state directory, its store and the files that hold password verifiers and keys are for
 * the member's owner alone: directories 700, files 600, where the file system has POSIX
 * permissions.
 */
class ApplianceStatePermissionsTest {
  @TempDir Path dir;

  private static String permissions(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void dataDirectory_store_andDeviceKey_areOwnerOnly_evenWhenLeftOpenBefore() throws Exception {
    assumeTrue(
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
        "the file system has no POSIX permissions");
    Path data = dir.resolve("member");
    Files.createDirectories(data);
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));

    try (Appliance a = TestAppliances.withCluster(data)) {
      assertEquals("rwx------", permissions(data));
      assertEquals("rwx------", permissions(data.resolve("store")));
      assertEquals("rw-------", permissions(data.resolve("store").resolve("keyring.mv.db")));
      assertEquals("rw-------", permissions(data.resolve("hsm").resolve("device.key")));
    }
    assertEquals("rw-------", permissions(data.resolve("store").resolve("keyring.mv.db")));
  }
}
