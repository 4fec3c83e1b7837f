package dev.keyring.client.cli;

/** A failure {@code keyringcm} reports as one line and an exit code, without a stack trace. */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int exitCode;

  CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }
}
