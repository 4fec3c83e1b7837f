package dev.keyring.client.cli;

import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ConfigFileException;
import dev.keyring.protocol.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Which client configuration file and which of its clusters (index 00-09) a command uses. */
final class ClientOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The client configuration file written by keyring-register (default: $"
              + ClientConfig.CONFIG_ENV
              + ", else ~/.keyring/Chrystoki.conf).")
  Path config;

  @Option(
      names = "--cluster",
      paramLabel = "NN",
      defaultValue = "00",
      description = "The cluster's position in the file, 00 to 09 (default: ${DEFAULT-VALUE}).")
  String cluster;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "Network timeout in seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  int index() {
    if (!cluster.matches("0?[0-9]")) {
      throw new CliException(2, "--cluster must be 00 to 09, got '" + cluster + "'");
    }
    return Integer.parseInt(cluster);
  }

  Path path(Map<String, String> env) {
    return config != null ? config : ClientConfig.defaultPath(env);
  }

  ClientConfig read(Map<String, String> env) {
    Path p = path(env);
    if (!Files.exists(p)) {
      throw new CliException(
          2,
          p + " does not exist: register this client first (keyring-register), or give --config");
    }
    try {
      return ClientConfig.read(p);
    } catch (ConfigFileException e) {
      throw new CliException(2, e.getMessage());
    } catch (IOException e) {
      throw new CliException(2, p + " cannot be read: " + e.getMessage());
    }
  }

  /**
   * The transport options of a command line, before its timeouts: the REST crypto API (a command
   * makes a call or a few and exits, so a crypto channel connection per member would only add a
   * handshake), unless the JVM's {@value dev.keyring.client.api.TransportOptions#WIRE_PROPERTY}
   * property chooses a wire.
   */
  static dev.keyring.client.api.TransportOptions.Builder transport() {
    dev.keyring.client.api.TransportOptions.Builder b =
        dev.keyring.client.api.TransportOptions.builder();
    String chosen = System.getProperty(dev.keyring.client.api.TransportOptions.WIRE_PROPERTY);
    return chosen == null || chosen.isBlank()
        ? b.wire(dev.keyring.client.api.TransportOptions.Wire.HTTP)
        : b;
  }
}
