package dev.keyring.sim.cli;

import java.io.Console;

/** Passwords from an option or, when it is absent, from the console without echo. */
final class Secrets {
  private Secrets() {}

  /**
   * {@code given} when an option carried it, else what the operator types on the console.
   *
   * @param option the option that would carry it, for the messages
   * @param what what the password is, for the prompt
   */
  static String of(String given, String option, String what) {
    if (given != null) {
      if (given.isEmpty()) {
        throw new CliException(2, option + " must not be empty");
      }
      return given;
    }
    return prompt(what, what + ": give " + option);
  }

  /** Asks on the console; exit code 2 when there is none or nothing was typed. */
  static String prompt(String prompt, String needed) {
    Console console = System.console();
    if (console == null) {
      throw new CliException(2, "missing " + needed + " (there is no console to ask on)");
    }
    char[] typed = console.readPassword("%s: ", prompt);
    if (typed == null || typed.length == 0) {
      throw new CliException(2, "missing " + needed);
    }
    return new String(typed);
  }
}
