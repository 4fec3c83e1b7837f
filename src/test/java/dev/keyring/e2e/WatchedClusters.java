package dev.keyring.e2e;

import dev.keyring.samples.LocalCluster;
import dev.keyring.testing.leak.SessionLeaks;
import java.nio.file.Path;

/**
 * Local clusters watched by the session-leak check: when the test closes one, the member's open
 * crypto sessions are read first, and the test fails if any is left.
 */
public final class WatchedClusters {
  private WatchedClusters() {}

  /** {@link LocalCluster#start(Path)}, watched for leaked sessions. */
  public static LocalCluster start(Path dir) throws Exception {
    LocalCluster c = LocalCluster.start(dir);
    SessionLeaks.Watch w =
        SessionLeaks.watch(
            "the local cluster in " + dir, () -> c.cluster().member(0).openSessions());
    c.beforeClose(w::close);
    return c;
  }
}
