package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-only after 1.5 s without the primary; visibility from probes; the primary stays read-write.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class PeerLivenessTest {
  @TempDir Path dir;

  @Test
  void follower_turnsReadOnly_1500msAfterItLastHeardFromThePrimary() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      ClusterNode follower = c.node(1);
      follower.pollPrimary(0);
      assertTrue(follower.readWrite());

      c.ticker.advance(Duration.ofMillis(1_499));
      assertTrue(follower.readWrite());
      assertFalse(follower.readOnly(follower.memberId()));

      c.ticker.advance(Duration.ofMillis(1));
      assertFalse(follower.readWrite());
      assertTrue(follower.readOnly(follower.memberId()));
      HsmException e = assertThrows(HsmException.class, () -> c.put(1, "k", "v"));
      assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, e.code());
      assertFalse(
          c.node(0).readWrite(), "a primary that sees no majority (1 of 2) is read-only too");

      follower.pollPrimary(0); // the primary answers again
      assertTrue(follower.readWrite());
      assertTrue(c.node(0).readWrite());
    }
  }

  @Test
  void followerThatNeverHeardFromThePrimary_isReadOnly() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      assertFalse(c.node(1).readWrite());
    }
  }

  @Test
  void member_seesAnother_whileItAnsweredAProbeWithinTheLiveWindow() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      String primary = c.node(0).memberId();
      assertFalse(c.node(1).visible(primary));

      c.node(1).probePeers();
      assertTrue(c.node(1).visible(primary));
      assertFalse(c.node(1).readOnly(primary));

      c.network.down.add(InProcessCluster.address(0));
      c.ticker.advance(ClusterNode.LIVE.minusMillis(1));
      c.node(1).probePeers();
      assertTrue(c.node(1).visible(primary));

      c.ticker.advance(Duration.ofMillis(1));
      assertFalse(c.node(1).visible(primary));
      assertTrue(c.node(1).readOnly(primary));
    }
  }

  @Test
  void primary_seesAFollower_whileItPolls() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      String follower = c.node(1).memberId();
      c.node(1).pollPrimary(0);
      assertTrue(c.node(0).visible(follower));

      c.ticker.advance(ClusterNode.LIVE);
      assertFalse(c.node(0).visible(follower));
    }
  }
}
