package dev.keyring.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.cli.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What quickstart refuses before it starts anything, and the secrets file it keeps. Every case ends
 * before a member would start, so none starts one.
 */
class QuickstartSettingsTest {
  @TempDir Path dir;

  private static Quickstart.Settings settings(
      Path dir, String keyring, String password, Integer adminPort, Integer kdf) {
    return new Quickstart.Settings(dir, keyring, password, adminPort, 0, kdf);
  }

  private void keptState(String text) throws Exception {
    Files.writeString(dir.resolve(Quickstart.STATE_FILE), text);
  }

  @Test
  void anotherKeyringThanTheDirectoryWasSetUpWith_isRefused() throws Exception {
    keptState("keyring=app\nadminPort=41000\ncryptoPort=41001\n");
    CliException e =
        assertThrows(
            CliException.class, () -> Quickstart.start(settings(dir, "other", null, null, null)));
    assertEquals(
        "--keyring other differs from 'app', which this directory was set up with; leave"
            + " --keyring out, or use another --data directory",
        e.getMessage());
  }

  @Test
  void anotherPortThanTheKeptOne_isRefused() throws Exception {
    keptState("keyring=app\nadminPort=41000\ncryptoPort=41001\n");
    CliException e =
        assertThrows(
            CliException.class, () -> Quickstart.start(settings(dir, null, null, 42000, null)));
    assertTrue(
        e.getMessage().startsWith("--admin-port 42000 differs from '41000'"), e.getMessage());
  }

  @Test
  void portOutOfRange_isRefused() {
    CliException e =
        assertThrows(
            CliException.class, () -> Quickstart.start(settings(dir, null, null, 70000, null)));
    assertEquals("--admin-port must be 0 to 65535, got 70000", e.getMessage());
  }

  @Test
  void kdfIterationsOutOfRange_isRefused_beforeAnySecretIsWritten() {
    CliException e =
        assertThrows(
            CliException.class, () -> Quickstart.start(settings(dir, null, null, null, 999)));
    assertEquals("--kdf-iterations must be 1000 to 10000000, got 999", e.getMessage());
    assertFalse(Files.exists(dir.resolve(QuickstartSecrets.FILE)));
  }

  @Test
  void aKeyringThatIsNotALabel_isRefused_beforeAnySecretIsWritten() {
    for (String label : new String[] {"", "my keyring", "-app", "a".repeat(65)}) {
      CliException e =
          assertThrows(
              CliException.class, () -> Quickstart.start(settings(dir, label, null, null, null)));
      assertEquals(
          "--keyring must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or"
              + " digit; got '"
              + label
              + "'",
          e.getMessage());
      assertFalse(Files.exists(dir.resolve(QuickstartSecrets.FILE)), label);
      assertFalse(Files.exists(dir.resolve(Quickstart.STATE_FILE)), label);
    }
  }

  @Test
  void shortPassword_isRefused_withTheRule() {
    HsmException e =
        assertThrows(
            HsmException.class, () -> Quickstart.start(settings(dir, null, "abc", null, null)));
    assertEquals("--password: keyring password must be 7 to 255 characters, got 3", e.detail());
    assertFalse(Files.exists(dir.resolve(QuickstartSecrets.FILE)));
  }

  @Test
  void aPasswordOtherThanTheKeptOne_isRefused() throws Exception {
    QuickstartSecrets.generate("kept-password-1").write(dir);
    CliException e =
        assertThrows(
            CliException.class,
            () -> Quickstart.start(settings(dir, null, "another-password", null, null)));
    assertTrue(e.getMessage().startsWith("--password differs"), e.getMessage());
  }

  @Test
  void dataThatIsAFile_isRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    CliException e =
        assertThrows(
            CliException.class, () -> Quickstart.start(settings(file, null, null, null, null)));
    assertEquals("--data " + file + " is not a directory", e.getMessage());
  }

  @Test
  void secrets_areWrittenOwnerOnly_readBack_andNeverOverwritten() throws Exception {
    QuickstartSecrets s = QuickstartSecrets.generate(null);
    s.write(dir);
    Path f = dir.resolve(QuickstartSecrets.FILE);
    assertEquals(
        Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(f));
    assertEquals(s, QuickstartSecrets.read(dir));
    for (String v : s.values()) {
      assertEquals(24, v.length(), "generated passwords are 24 characters");
    }
    CliException e =
        assertThrows(CliException.class, () -> QuickstartSecrets.generate(null).write(dir));
    assertTrue(e.getMessage().endsWith("exists already; it is not overwritten"), e.getMessage());
    assertEquals(s, QuickstartSecrets.read(dir));
  }

  @Test
  void secretsFileWithoutAKey_isRefused_withWhatToDo() throws Exception {
    Files.writeString(dir.resolve(QuickstartSecrets.FILE), "hsm.so.password=x\n");
    CliException e = assertThrows(CliException.class, () -> QuickstartSecrets.read(dir));
    assertTrue(e.getMessage().contains("has no partition.po.password"), e.getMessage());
  }
}
