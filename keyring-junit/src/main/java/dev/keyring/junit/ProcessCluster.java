package dev.keyring.junit;

import dev.keyring.distribution.Quickstart;
import dev.keyring.testing.cluster.ClusterHarness;
import java.nio.file.Path;

/** The keyring and the client of a cluster whose members are processes ({@link ClusterHarness}). */
final class ProcessCluster {
  private ProcessCluster() {}

  /**
   * Creates keyring {@code label} through member 0's admin CLI, registers a client with member 0,
   * and takes the keyring through its first login with {@code password}; returns the client's
   * configuration file.
   */
  static Path provisionKeyring(ClusterHarness h, Path dir, String label, String password)
      throws Exception {
    String initial = "initial-" + label + "-password";
    ClusterHarness.ok(
        h.member(0),
        "keyring",
        "create",
        "-label",
        label,
        "-password",
        initial,
        "-partition",
        ClusterHarness.PARTITION,
        "-copassword",
        ClusterHarness.CO);
    Path conf = h.registerClient(0, "junit-client", dir.resolve("client/Chrystoki.conf"));
    Quickstart.firstLogin(conf, label, initial, password);
    return conf;
  }
}
