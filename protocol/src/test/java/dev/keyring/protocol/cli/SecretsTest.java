package dev.keyring.protocol.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
  @Test
  void aGivenPasswordIsTakenAsIs() {
    assertEquals("pw-123456", Secrets.of("pw-123456", "-password", "the keyring's password"));
  }

  @Test
  void anEmptyPasswordOptionIsBadInput() {
    CliException e =
        assertThrows(CliException.class, () -> Secrets.of("", "-password", "the password"));
    assertEquals(CommandLines.BAD_INPUT, e.exitCode());
    assertEquals("-password must not be empty", e.getMessage());
  }

  @Test
  void withoutTheOptionAndWithoutAConsole_itSaysWhichOptionToGive() {
    assumeTrue(System.console() == null, "a console is attached: it would prompt");
    CliException e =
        assertThrows(CliException.class, () -> Secrets.of(null, "-password", "the password"));
    assertEquals(CommandLines.BAD_INPUT, e.exitCode());
    assertEquals(
        "missing the password: give -password (there is no console to ask on)", e.getMessage());
  }

  @Test
  void firstLine_isThePasswordOfAPasswordFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("admin.pw"), "first-line-pw\nignored\n");
    assertEquals("first-line-pw", Secrets.firstLine(file, "--password-file"));
  }

  @Test
  void firstLine_refusesAnEmptyFirstLine_andAnEmptyFile(@TempDir Path dir) throws Exception {
    for (String content : new String[] {"", "\nsecond"}) {
      Path file = Files.writeString(dir.resolve("empty.pw"), content);
      CliException e =
          assertThrows(CliException.class, () -> Secrets.firstLine(file, "--password-file"));
      assertEquals(CommandLines.BAD_INPUT, e.exitCode());
      assertEquals("--password-file " + file + " has an empty first line", e.getMessage());
    }
  }

  @Test
  void firstLine_saysWhichFileCannotBeRead(@TempDir Path dir) {
    Path missing = dir.resolve("missing.pw");
    CliException e =
        assertThrows(CliException.class, () -> Secrets.firstLine(missing, "--admin-password-file"));
    assertEquals(CommandLines.BAD_INPUT, e.exitCode());
    assertEquals(
        "--admin-password-file " + missing + " cannot be read: no such file", e.getMessage());
  }

  @Test
  void firstLine_saysWhenTheFileIsADirectory(@TempDir Path dir) {
    CliException e =
        assertThrows(CliException.class, () -> Secrets.firstLine(dir, "--password-file"));
    assertEquals(CommandLines.BAD_INPUT, e.exitCode());
    assertEquals("--password-file " + dir + " cannot be read: Is a directory", e.getMessage());
  }
}
