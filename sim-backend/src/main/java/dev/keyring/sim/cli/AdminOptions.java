package dev.keyring.sim.cli;

import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.FingerprintTrust;
import dev.keyring.protocol.cli.Secrets;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How a command reaches a member's admin API: host, port, appliance user, its password and the
 * pinned fingerprint of the member's admin certificate.
 */
final class AdminOptions {
  /** The environment variable read for the appliance user's password. */
  static final String PASSWORD_ENV = "KEYRING_ADMIN_PASSWORD";

  @Option(
      names = "--host",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description = "The member's admin API host (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "50070",
      description = "The member's admin API port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--user",
      paramLabel = "USER",
      defaultValue = "admin",
      description = "The appliance user (default: ${DEFAULT-VALUE}).")
  String user;

  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      description =
          "A file whose first line is the appliance user's password (else $"
              + PASSWORD_ENV
              + ", else a prompt on the console).")
  java.nio.file.Path passwordFile;

  @Option(
      names = "--fingerprint",
      paramLabel = "SHA256HEX",
      description =
          "SHA-256 fingerprint of the member's admin certificate (hex, colons allowed); without"
              + " it the certificate is trusted on first use and its fingerprint is printed.")
  String fingerprint;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "Network timeout in seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  /** Checks the options and resolves the password; nothing is sent yet. */
  AdminConnection connect(Map<String, String> env, PrintWriter err) {
    if (port < 1 || port > 65535) {
      throw new CliException(2, "--port must be 1 to 65535, got " + port);
    }
    if (host == null || host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == '/')) {
      throw new CliException(2, "--host must name a host");
    }
    if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new CliException(2, "--timeout must be 1 to 3600 seconds, got " + timeoutSeconds);
    }
    String pin = null;
    if (fingerprint != null) {
      pin = FingerprintTrust.normalize(fingerprint);
      if (pin == null) {
        throw new CliException(
            2, "--fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed");
      }
    }
    return new AdminConnection(
        host, port, user, password(env), pin, Duration.ofSeconds(timeoutSeconds), err);
  }

  private String password(Map<String, String> env) {
    if (passwordFile != null) {
      return Secrets.firstLine(passwordFile, "--password-file");
    }
    String fromEnv = env.get(PASSWORD_ENV);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return fromEnv;
    }
    return Secrets.prompt(
        "Password for appliance user '" + user + "'",
        "the appliance user's password: give --password-file FILE or set " + PASSWORD_ENV);
  }
}
