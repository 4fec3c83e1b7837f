package dev.keyring.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.testing.junit.FixtureRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The session-leak check every end-to-end test ends with, on a real member: a fixture test (nested,
 * so the build does not run it on its own; no {@code @ExtendWith}, the module registers the check)
 * that leaves a provider's login open when it stops its cluster fails; the same test closing the
 * provider first passes.
 */
class SessionLeakCheckTest {
  private static final String PASSWORD = "leak-password-1";

  /** Where the fixtures put their cluster; set by the test that runs them. */
  static Path dir;

  static void signIn(boolean closeProviderFirst) throws Exception {
    try (LocalCluster cluster = WatchedClusters.start(dir)) {
      cluster.createKeyring("leaky", PASSWORD);
      KeyringProvider p = new KeyringProvider(cluster.clientConfig());
      KeyStore ks = KeyStore.getInstance("Keyring", p);
      ks.load(cluster.slotProperties("leaky"), PASSWORD.toCharArray());
      if (closeProviderFirst) {
        p.close();
      }
    }
  }

  static class ProviderLeftOpen {
    @Test
    void logsInAndStopsTheCluster() throws Exception {
      signIn(false);
    }
  }

  static class ProviderClosed {
    @Test
    void logsInClosesAndStopsTheCluster() throws Exception {
      signIn(true);
    }
  }

  private static TestExecutionSummary run(Class<?> fixture, Path where) throws Exception {
    dir = Files.createTempDirectory(where, fixture.getSimpleName());
    return FixtureRun.run(fixture);
  }

  @Test
  void aLoginLeftOpen_whenTheTestStopsItsCluster_failsTheTest(
      @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    TestExecutionSummary s = run(ProviderLeftOpen.class, tmp);
    assertEquals(1, s.getTestsFailedCount(), "the leaking test fails");
    String message = s.getFailures().get(0).getException().getMessage();
    assertTrue(
        message.contains("1 crypto session(s) open on the local cluster in " + dir), message);
  }

  @Test
  void noSessionLeftOpen_passes(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    TestExecutionSummary s = run(ProviderClosed.class, tmp);
    assertEquals(0, s.getTotalFailureCount(), () -> s.getFailures().toString());
    assertEquals(1, s.getTestsSucceededCount());
  }
}
