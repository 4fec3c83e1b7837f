package dev.keyring.e2e.cluster;

/** The {@code keyring-sim} command lines of the backup and restore tests. */
final class BackupCli {
  static final String PASSWORD = "backup-password-1";

  private BackupCli() {}

  /** {@code cluster backup run} into the admin user's file {@code filename}. */
  static String[] backup(String filename) {
    return new String[] {
      "cluster", "backup", "run", "-filename", filename, "-backuppassword", PASSWORD
    };
  }

  /** {@code cluster restore run} of the keyrings in the admin user's file {@code filename}. */
  static String[] restore(String filename) {
    return new String[] {
      "cluster",
      "restore",
      "run",
      "-filename",
      filename,
      "-type",
      "keyring",
      "-restorepassword",
      PASSWORD
    };
  }
}
