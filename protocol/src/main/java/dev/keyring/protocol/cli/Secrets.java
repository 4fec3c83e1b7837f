package dev.keyring.protocol.cli;

import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Passwords from an option, a password file or, when neither is given, from the console without
 * echo.
 */
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
   * The first line of a password file, as {@code --password-file FILE} options give it.
   *
   * @param file the file
   * @param option the option that named it, for the messages
   * @throws CliException exit code 2 when the file cannot be read, or its first line is empty or
   *     missing
   */
  public static String firstLine(Path file, String option) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliException(
          CommandLines.BAD_INPUT,
          option + " " + file + " cannot be read: " + CommandLines.reason(e));
    }
    if (lines.isEmpty() || lines.get(0).isEmpty()) {
      throw new CliException(
          CommandLines.BAD_INPUT, option + " " + file + " has an empty first line");
    }
    return lines.get(0);
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
