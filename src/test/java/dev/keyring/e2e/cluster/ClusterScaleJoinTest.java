package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Role;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full cluster (3,500 keyrings, objects in a sample of them) on three members is joined by a
 * fourth, which copies the state and then follows the log; the time is reported.
 */
@Timeout(900)
class ClusterScaleJoinTest {
  private static final int KEYRINGS = 3_500;
  private static final int PER_CALL = 100;
  private static final int SAMPLE = 12;
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";

  @Test
  void fullCluster_joinedByAFourthMember_convergesWithEqualDigests(@TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 4)) {
      long t0 = System.nanoTime();
      for (int i = 0; i < KEYRINGS / PER_CALL; i++) {
        // through each member in turn: writes through non-primaries are replicated the same way
        h.createKeyrings(i % 3, "k", INITIAL, PER_CALL, i * PER_CALL);
      }
      long createMillis = (System.nanoTime() - t0) / 1_000_000;

      Path conf =
          h.registerClient(1, "scale-client", dir.resolve("client").resolve("Chrystoki.conf"));
      int objects = 0;
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
        for (int i = 0; i < SAMPLE; i++) {
          String label = "k" + (i * (KEYRINGS / SAMPLE));
          try (KeyringChannel s = client.openSession(label)) {
            KeyringSetup.initialize(s, INITIAL, PASSWORD);
            s.login(Role.KRCO, PASSWORD);
            for (int k = 0; k < 2; k++) {
              s.generateKeyPair(
                  KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
              objects += 2;
            }
          }
        }
      }
      ClusterHarness.State before = h.awaitConverged(Duration.ofSeconds(60));
      assertEquals(KEYRINGS, before.keyrings());

      h.startMember(3);
      h.provisionPartition(3);
      long j0 = System.nanoTime();
      MemberProcess.SimRun joined = h.join(3, 2);
      long joinMillis = (System.nanoTime() - j0) / 1_000_000;
      ClusterHarness.State after = h.awaitConverged(Duration.ofSeconds(120));
      long convergedMillis = (System.nanoTime() - j0) / 1_000_000;
      assertEquals(KEYRINGS, after.keyrings());
      assertEquals(4, h.liveStates().size());
      assertEquals(KEYRINGS, h.state(3).keyrings());
      assertEquals(before.digest(), after.digest(), "nothing changed while the fourth joined");
      Matcher copy = Pattern.compile("Copy time \\(ms\\)\\s*: (\\d+)").matcher(joined.out());
      assertTrue(copy.find(), joined::toString);

      // the cluster is full: a 3,501st keyring is refused, through the new member too
      MemberProcess.SimRun full =
          h.member(3)
              .sim(
                  "keyring",
                  "create",
                  "-label",
                  "one-too-many",
                  "-password",
                  INITIAL,
                  "-partition",
                  ClusterHarness.PARTITION,
                  "-copassword",
                  ClusterHarness.CO);
      assertTrue(
          full.exit() != 0
              && (full.err().contains("3,500")
                  || full.err().contains("3500")
                  || full.err().contains("DEVICE_MEMORY")),
          full::toString);
      // the fourth member follows the log from there: a delete through it reaches every member
      ClusterHarness.ok(
          h.member(3), "keyring", "delete", "-label", "k1", "-copassword", ClusterHarness.CO);
      ClusterHarness.State last = h.awaitConverged(Duration.ofSeconds(60));
      assertEquals(KEYRINGS - 1, last.keyrings());

      System.out.printf(
          "scale join: %,d keyrings created through 3 members in %,d ms, %d objects in %d of"
              + " them; the 4th member joined in %,d ms (state copy %s ms), all 4 converged"
              + " %,d ms after the join began; digest %s…%n",
          KEYRINGS,
          createMillis,
          objects,
          SAMPLE,
          joinMillis,
          copy.group(1),
          convergedMillis,
          after.digest().substring(0, 16));
    }
  }
}
