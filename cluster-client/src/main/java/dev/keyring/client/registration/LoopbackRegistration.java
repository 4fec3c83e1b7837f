package dev.keyring.client.registration;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code keyring-register} for programs that set up a local cluster themselves (the demo,
 * quickstart): the same registration, on loopback, pinned to a known admin certificate.
 */
public final class LoopbackRegistration {
  private LoopbackRegistration() {}

  /**
   * Registers client {@code name} with cluster {@code clusterId} through the admin API on loopback
   * port {@code adminPort}, pinned to the certificate with SHA-256 fingerprint {@code
   * adminFingerprint}, writing the configuration {@code config}: what {@code keyring-register -n
   * NAME -i 127.0.0.1:PORT -c CLUSTER_ID --config FILE --admin-fingerprint FP} does.
   *
   * @throws IllegalStateException with the command's exit code and output when it fails
   */
  public static void register(
      String name,
      int adminPort,
      String adminFingerprint,
      String clusterId,
      String adminPassword,
      Path config) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RegisterCommand.run(
            new PrintWriter(out),
            new PrintWriter(err),
            Map.of(RegisterCommand.PASSWORD_ENV, adminPassword),
            "-n",
            name,
            "-i",
            "127.0.0.1:" + adminPort,
            "-c",
            clusterId,
            "--config",
            config.toString(),
            "--admin-fingerprint",
            adminFingerprint);
    if (exit != RegisterCommand.OK) {
      throw new IllegalStateException(
          "client registration failed (exit " + exit + "): " + out + " " + err);
    }
  }
}
