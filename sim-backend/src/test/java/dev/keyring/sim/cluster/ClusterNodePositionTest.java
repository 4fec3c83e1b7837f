package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A member waits for a log position: the primary holds its own entries, a follower polls. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class ClusterNodePositionTest {
  @TempDir Path dir;

  @Test
  void follower_holdsAPosition_onceItAppliedTheEntry() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.ticker.advance(ClusterNode.LIVE); // member 1 is not live: member 2 makes the majority
      c.putAcknowledged(0, "a", "1", 2);
      long written = c.store(0).position().sequence();
      assertTrue(c.node(0).awaitPosition(written, Duration.ZERO), "the primary holds its write");
      assertFalse(c.node(1).awaitPosition(written, Duration.ZERO), "the follower did not poll");

      // the follower waits (the fake ticker does not move: only the entry ends the wait)
      CompletableFuture<Boolean> waiting =
          CompletableFuture.supplyAsync(
              () -> c.node(1).awaitPosition(written, Duration.ofSeconds(1)));
      c.node(1).pollPrimary(0);
      assertTrue(waiting.get());
      assertTrue(c.node(1).awaitPosition(written - 1, Duration.ZERO), "and every earlier one");
    }
  }

  @Test
  void wait_endsWhenTheTickerSaysTheTimeIsUp() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.ticker.advance(ClusterNode.LIVE); // member 1 is not live: member 2 makes the majority
      c.putAcknowledged(0, "a", "1", 2);
      long written = c.store(0).position().sequence();
      CompletableFuture<Boolean> waiting =
          CompletableFuture.supplyAsync(
              () -> c.node(1).awaitPosition(written, Duration.ofMillis(500)));
      Boolean held = null;
      while (held == null) {
        // the waiter may not have read the ticker yet: move it on until the wait is over
        c.ticker.advance(Duration.ofMillis(100));
        try {
          held = waiting.get(50, TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillWaiting) {
          // move the ticker on again
        }
      }
      assertFalse(held, "nothing was applied");
    }
  }

  @Test
  void answerPosition_isTheThreadsOwnWriteOnThePrimary_notAnotherWriteAfterIt() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 1)) { // a majority of one: no waiting
      c.put(0, "a", "1"); // this thread's write, through the primary
      long mine = c.store(0).position().sequence();
      CompletableFuture.runAsync(() -> c.put(0, "b", "2")).get(); // another request's write

      assertEquals(mine, c.node(0).answerPosition().sequence(), "only what this thread wrote");
      assertEquals(
          mine + 1, c.node(0).answerPosition().sequence(), "then the member's own position");
      c.put(0, "c", "3");
      c.node(0).forgetWrites();
      assertEquals(c.store(0).position(), c.node(0).answerPosition());
    }
  }
}
