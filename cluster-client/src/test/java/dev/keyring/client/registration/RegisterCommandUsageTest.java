package dev.keyring.client.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code keyring-register} with a bad command line: one line naming what is wrong and a hint, exit
 * code 2, as the other command lines do (no member needed).
 */
class RegisterCommandUsageTest {
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = RegisterCommand.run(new PrintWriter(out), new PrintWriter(err), Map.of(), args);
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }

  @Test
  void anUnknownOption_isNamed_inOneLine_withAHint() {
    String[] r = run("--bogus");
    assertEquals("2", r[0], r[2]);
    String[] lines = r[2].strip().split("\\R");
    assertTrue(lines[0].startsWith("error: unknown or unexpected argument(s): '--bogus'"), r[2]);
    assertTrue(lines[0].contains("missing required options"), r[2]);
    assertEquals("Try 'keyring-register --help' for usage.", lines[lines.length - 1], r[2]);
    assertFalse(r[2].contains("Usage:"), r[2]);
  }

  @Test
  void aValueOfTheWrongType_isNamed_inOneLine() {
    String[] r =
        run(
            "-n",
            "c1",
            "-i",
            "127.0.0.1",
            "-c",
            "6f1c2a4e-3b2d-4c5e-9f10-1a2b3c4d5e6f",
            "--timeout",
            "abc");
    assertEquals("2", r[0], r[2]);
    assertTrue(
        r[2].startsWith("error: Invalid value for option '--timeout': 'abc' is not an int"), r[2]);
    assertFalse(r[2].contains("Usage:"), r[2]);
  }
}
