package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.testing.admin.Provisioning;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A joiner that really crashes during a join (its JVM halted right after a step, as {@code kill -9}
 * would, through {@code joinHaltAt}) is as it was once started again: it holds no cluster, and logs
 * that the join was undone; when the crash came after it asked to be added, the cluster lists it
 * until the operator deletes it, as the warning says.
 */
@Timeout(300)
class JoinCrashProcessTest {
  private static final Duration SETTLE = Duration.ofSeconds(60);

  @ParameterizedTest
  @ValueSource(strings = {"CA_INSTALLED", "STATE_COPIED"})
  void aJoinerHaltedAtThisStep_isUndoneAtItsNextStart(String step, @TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 2)) {
      h.createKeyrings(0, "app", "ring-initial-1", 1, 1);
      h.startMember(1, Map.of("joinHaltAt", step));
      h.provisionPartition(1);

      MemberProcess.SimRun cut = h.member(1).sim(h.joinArgs(1, 0));
      assertNotEquals(0, cut.exit(), cut.toString());
      ClusterHarness.await("the joiner halted", SETTLE, () -> !h.member(1).isAlive());

      h.startMember(1, Map.of()); // the same data directory, without the halt
      JsonNode clusters =
          h.member(1)
              .rest()
              .send("GET", "/api/clusters", Provisioning.ADMIN, Provisioning.ADMIN_PW, null)
              .expect(200)
              .json()
              .path("data");
      assertEquals(0, clusters.size(), "no cluster on the joiner");
      assertTrue(
          h.member(1).output().contains("was cut short (this member stopped during it)"),
          h.member(1).output());
      int listed = h.members(0).size();
      System.out.printf(
          "join halted after %s: restarted joiner holds no cluster; the cluster lists %d member(s)%n",
          step, listed);
      assertEquals(step.equals("CA_INSTALLED") ? 1 : 2, listed);
    }
  }
}
