package dev.keyring.sim.backup;

/**
 * Points inside a backup and a restore where a test can interrupt the work (by throwing, or by
 * halting the process) to prove what an interruption leaves behind. Production uses {@link #NONE}.
 */
public interface BackupHooks {
  /** No interruption. */
  BackupHooks NONE = new BackupHooks() {};

  /** A backup wrote its {@code count}-th keyring to the temporary file. */
  default void backupWrote(int count) {}

  /**
   * A restore is inside the transaction of its {@code count}-th keyring, after the keyring's rows
   * were written and before they are committed.
   */
  default void restoreWriting(int count) {}

  /** A restore committed its {@code count}-th keyring. */
  default void restoreWrote(int count) {}

  /**
   * Hooks that halt the JVM at once (as {@code kill -9} would) at the point named by the system
   * property {@code keyring.backup.haltAt}: {@code backup:N}, {@code restore-writing:N} or {@code
   * restore:N}; {@link #NONE} when it is not set. For process-level crash tests only.
   */
  static BackupHooks fromSystemProperty() {
    String spec = System.getProperty("keyring.backup.haltAt");
    if (spec == null || spec.isBlank()) {
      return NONE;
    }
    int colon = spec.indexOf(':');
    String where = colon < 0 ? spec : spec.substring(0, colon);
    int at = colon < 0 ? 1 : Integer.parseInt(spec.substring(colon + 1));
    return new BackupHooks() {
      @Override
      public void backupWrote(int count) {
        halt("backup", count);
      }

      @Override
      public void restoreWriting(int count) {
        halt("restore-writing", count);
      }

      @Override
      public void restoreWrote(int count) {
        halt("restore", count);
      }

      private void halt(String point, int count) {
        if (point.equals(where) && count == at) {
          Runtime.getRuntime().halt(137);
        }
      }
    };
  }
}
