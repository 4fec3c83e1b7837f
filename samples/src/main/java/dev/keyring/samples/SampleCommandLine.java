package dev.keyring.samples;

/**
 * What the command lines of the samples share: the count of their arguments, and the keyring's KRCO
 * password, which they take from the environment ({@value #PASSWORD_VARIABLE}) rather than from an
 * argument that other users of the machine could read.
 */
public final class SampleCommandLine {
  /** The environment variable holding the keyring's KRCO password. */
  public static final String PASSWORD_VARIABLE = "KEYRING_KRCO_PASSWORD";

  private SampleCommandLine() {}

  /**
   * Exits with status 2 and the usage on standard error unless {@code args} has {@code min} to
   * {@code max} entries.
   */
  public static void requireArgs(String[] args, int min, int max, String usage) {
    if (args.length < min || args.length > max) {
      System.err.println("usage: " + usage);
      System.err.println("  the keyring's KRCO password in the environment: " + PASSWORD_VARIABLE);
      System.exit(2);
    }
  }

  /** The keyring's KRCO password from the environment; exits with status 2 when it is not set. */
  public static String krcoPassword() {
    String password = System.getenv(PASSWORD_VARIABLE);
    if (password == null) {
      System.err.println("error: set " + PASSWORD_VARIABLE + " to the keyring's KRCO password");
      System.exit(2);
    }
    return password;
  }
}
