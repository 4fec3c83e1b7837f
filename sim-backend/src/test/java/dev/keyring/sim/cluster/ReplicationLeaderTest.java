package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The primary acknowledges a write once every live member holds it, and waits for no other. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class ReplicationLeaderTest {
  @TempDir Path dir;

  @Test
  void write_isAcknowledged_onlyOnceEveryLiveFollowerAcknowledgedIt() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(1).pollPrimary(0);
      c.node(2).pollPrimary(0); // both followers are live on the primary

      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> c.put(0, "k", "v"));
      assertEquals("ok", c.node(1).pollPrimary(10_000)); // returns with the new entry
      assertEquals(Optional.of("v"), c.value(1, "k"));
      assertFalse(write.isDone(), "member 1 holds the entry but has not acknowledged it yet");

      c.node(1).pollPrimary(0); // member 1 acknowledges
      assertFalse(write.isDone(), "member 2 has not received the entry");

      c.node(2).pollPrimary(0); // member 2 receives it
      assertFalse(write.isDone(), "member 2 has not acknowledged the entry");

      c.node(2).pollPrimary(0); // member 2 acknowledges
      write.get();
      assertEquals(Optional.of("v"), c.value(2, "k"));
      assertEquals(c.store(0).position(), c.store(2).position());
    }
  }

  @Test
  void write_doesNotWaitFor_aFollowerThatIsNotLive() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.node(1).pollPrimary(0);
      c.ticker.advance(ClusterNode.LIVE); // member 1 has not polled for the whole live window

      c.put(0, "k", "v"); // returns without member 1

      assertEquals(Optional.of("v"), c.value(0, "k"));
      assertEquals(Optional.empty(), c.value(1, "k"));
    }
  }

  @Test
  void write_goesOnWithoutALiveFollower_whenTheReplicationWaitRunsOut() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.node(1).pollPrimary(0);

      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> c.put(0, "k", "v"));
      assertEquals("ok", c.node(1).pollPrimary(10_000)); // the entry is in the log
      assertFalse(write.isDone());
      c.ticker.advance(ReplicaState.REPLICATION_WAIT.plus(Duration.ofMillis(1)));

      write.get();
      assertEquals(Optional.of("v"), c.value(0, "k"));
    }
  }
}
