package dev.keyring.protocol.cli;

import dev.keyring.protocol.HsmException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * What the Keyring command lines share: their exit codes, how a refusal or a bad argument is
 * reported (one line, no stack trace, no password echoed), and running one with given streams.
 */
public final class CommandLines {
  /** Done. */
  public static final int OK = 0;

  /** Refused by the appliance or cluster: its CKR_ code and message are printed. */
  public static final int REFUSED = 1;

  /** Bad usage or input. */
  public static final int BAD_INPUT = 2;

  /** The member cannot be reached, or TLS failed. */
  public static final int UNREACHABLE = 3;

  /** Reports one kind of failure a command throws. */
  @FunctionalInterface
  public interface FailureReport {
    /**
     * Prints {@code e} on {@code err} and returns the exit code, or returns null (printing nothing)
     * when {@code e} is not of its kind.
     */
    Integer report(Exception e, PrintWriter err);
  }

  private CommandLines() {}

  /**
   * Sets {@code cl}'s handlers: a {@link CliException} prints {@code error: message} and exits with
   * its code; an {@link HsmException} prints {@code CKR_CODE: detail} and exits with {@link
   * #REFUSED}; then each of {@code more} is asked in turn; anything else is rethrown. Bad usage
   * prints the message without any password given on the line, a hint, and exits with {@link
   * #BAD_INPUT}.
   *
   * @return {@code cl}
   */
  public static CommandLine withFailureReports(CommandLine cl, FailureReport... more) {
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          PrintWriter err = cmd.getErr();
          Integer code = report(e, err);
          for (int i = 0; code == null && i < more.length; i++) {
            code = more[i].report(e, err);
          }
          if (code == null) {
            throw e;
          }
          err.flush();
          return code;
        });
    cl.setParameterExceptionHandler(CommandLines::badUsage);
    return cl;
  }

  private static Integer report(Exception e, PrintWriter err) {
    if (e instanceof CliException c) {
      err.println("error: " + c.getMessage());
      return c.exitCode();
    }
    if (e instanceof HsmException h) {
      err.println(h.code().name() + ": " + h.detail());
      return REFUSED;
    }
    return null;
  }

  /** Bad usage: the message without any password given on the line, a hint, and exit code 2. */
  static int badUsage(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    String message;
    if (ex instanceof UnmatchedArgumentException u) {
      message = Redaction.unmatched(u.getUnmatched(), args);
    } else if (!cmd.getUnmatchedArguments().isEmpty()) {
      // a missing required option is reported before an unknown one: name the unknown one too,
      // since it is often the misspelt required one
      String missing = String.valueOf(ex.getMessage());
      message =
          Redaction.unmatched(cmd.getUnmatchedArguments(), args)
              + "; "
              + Character.toLowerCase(missing.charAt(0))
              + missing.substring(1);
    } else {
      message = String.valueOf(ex.getMessage());
    }
    err.println("error: " + Redaction.redact(message, args));
    if (!UnmatchedArgumentException.printSuggestions(ex, err)) {
      err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    }
    err.flush();
    return BAD_INPUT;
  }

  /**
   * Why a file could not be read or written, in words an operator acts on: {@code no such file},
   * {@code permission denied}, else the system's reason (the JDK's message for the first two is
   * only the path).
   */
  public static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f) {
      return f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** Runs {@code cl} with these streams, flushing both after; returns the exit code. */
  public static int execute(CommandLine cl, PrintWriter out, PrintWriter err, String... args) {
    cl.setOut(out);
    cl.setErr(err);
    try {
      return cl.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }
}
