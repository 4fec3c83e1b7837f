package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that starts (or restarts) has not caught up with the primary until it held everything
 * the primary had at one of its answers; replicated views hear of a cluster value before its entry
 * counts as held, so what an acknowledged write changed has taken effect on every member that
 * acknowledged it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class CatchUpTest {
  @TempDir Path dir;

  @Test
  void primary_hasAlwaysCaughtUp_aNewFollower_onlyAfterItsFirstPollThatReachesThePrimary()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      assertTrue(c.node(0).caughtUp());
      assertFalse(c.node(1).caughtUp(), "started, and not heard from the primary yet");

      c.network.down.add(InProcessCluster.address(0));
      assertThrows(() -> c.node(1).pollPrimary(0));
      assertFalse(c.node(1).caughtUp(), "the primary cannot be reached");
      c.network.down.clear();

      assertEquals("ok", c.node(1).pollPrimary(0));
      assertTrue(c.node(1).caughtUp());
    }
  }

  @Test
  void followerFarBehind_hasNotCaughtUp_untilItHoldsThePrimarysLastEntry() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      // member 2 started last and has not polled: member 1 makes the majority
      for (int i = 0; i < 300; i++) {
        c.putAcknowledged(0, "v" + i, "x", 1);
      }
      assertFalse(c.node(2).caughtUp());

      assertEquals("ok", c.node(2).pollPrimary(0)); // one answer holds at most 256 entries
      assertFalse(c.node(2).caughtUp(), "still behind the primary");
      assertEquals("ok", c.node(2).pollPrimary(0));
      assertTrue(c.node(2).caughtUp());
      assertEquals(c.store(0).position(), c.store(2).position());
    }
  }

  @Test
  void clusterValueChanged_isToldBeforeTheEntryCountsAsHeld() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.putAcknowledged(0, "client.ab", "revoked");

      assertEquals(List.of("client.ab"), c.listener(1).values);
      assertEquals(List.of(false), c.listener(1).heldWhenTold);
      assertEquals(List.of("client.ab"), c.listener(0).values, "the primary's views too");
    }
  }

  private static void assertThrows(org.junit.jupiter.api.function.Executable e) {
    org.junit.jupiter.api.Assertions.assertThrows(Exception.class, e);
  }
}
