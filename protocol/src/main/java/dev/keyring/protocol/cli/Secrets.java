package dev.keyring.protocol.cli;

import java.io.Console;

/** Passwords from an option or, when it is absent, from the console without echo. */
public final class Secrets {
  private Secrets() {}

  /**
   * {@code given} when an option carried it, else what the operator types on the console.
   *
   * @param given the option's value, or null when it was not given
   * @param option the option that would carry it, for the messages
   * @param what what the password is, for the prompt
   * @throws CliException exit code 2 when the option is empty, or there is no console, or nothing
   *     was typed
   */
  public static String of(String given, String option, String what) {
    if (given != null) {
      if (given.isEmpty()) {
        throw new CliException(CommandLines.BAD_INPUT, option + " must not be empty");
      }
      return given;
    }
    return prompt(what, what + ": give " + option);
  }

  /**
   * Asks on the console, without echo.
   *
   * @param prompt the prompt (": " is appended)
   * @param needed what is missing, for the message when nothing can be read
   * @throws CliException exit code 2 when there is no console or nothing was typed
   */
  public static String prompt(String prompt, String needed) {
    Console console = System.console();
    if (console == null) {
      throw new CliException(
          CommandLines.BAD_INPUT, "missing " + needed + " (there is no console to ask on)");
    }
    char[] typed = console.readPassword("%s: ", prompt);
    if (typed == null || typed.length == 0) {
      throw new CliException(CommandLines.BAD_INPUT, "missing " + needed);
    }
    return new String(typed);
  }
}
