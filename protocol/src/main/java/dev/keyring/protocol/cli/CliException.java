package dev.keyring.protocol.cli;

/** A refusal a command line reports as one line and an exit code, without a stack trace. */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  /**
   * @param exitCode the process's exit code (see {@link CommandLines})
   * @param message the line printed after {@code error: }
   */
  public CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  /** The process's exit code. */
  public int exitCode() {
    return exitCode;
  }
}
