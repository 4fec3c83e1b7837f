package dev.keyring.protocol.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

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
}
