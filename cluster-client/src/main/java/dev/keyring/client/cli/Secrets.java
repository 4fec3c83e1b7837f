package dev.keyring.client.cli;

import java.io.Console;

/** Passwords from an option or, when it is absent, from the console without echo. */
final class Secrets {
  private Secrets() {}

  /**
   * {@code given} when an option carried it, else what the operator types on the console; exit code
   * 2 when there is no console.
   */
  static String of(String given, String option, String what) {
    if (given != null) {
      if (given.isEmpty()) {
        throw new CliException(2, option + " must not be empty");
      }
      return given;
    }
    Console console = System.console();
    if (console == null) {
      throw new CliException(
          2, "missing " + what + ": give " + option + " (there is no console to ask on)");
    }
    char[] typed = console.readPassword("%s: ", what);
    if (typed == null || typed.length == 0) {
      throw new CliException(2, "missing " + what);
    }
    return new String(typed);
  }
}
