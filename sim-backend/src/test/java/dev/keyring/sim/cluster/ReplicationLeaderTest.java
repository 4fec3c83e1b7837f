package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.LogPosition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary acknowledges a write once a majority holds it and every live member acknowledged it
 * (or ran out of time); without a majority it never acknowledges.
 */
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
  void write_doesNotWaitFor_aFollowerThatIsNotLive_whenAMajorityHoldsIt() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(1).pollPrimary(0);
      c.ticker.advance(ClusterNode.LIVE); // member 1 has not polled for the whole live window

      c.putAcknowledged(0, "k", "v", 2); // member 2 and the primary are a majority of 3

      assertEquals(Optional.of("v"), c.value(0, "k"));
      assertEquals(Optional.of("v"), c.value(2, "k"));
      assertEquals(Optional.empty(), c.value(1, "k"));
    }
  }

  @Test
  void primaryThatSeesNoMajority_refusesTheWrite_andAppendsNothing() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.node(1).pollPrimary(0);
      c.ticker.advance(ClusterNode.LIVE); // alone, the primary is 1 of 2: no majority
      LogPosition before = c.store(0).position();

      HsmException e = assertThrows(HsmException.class, () -> c.put(0, "k", "v"));

      assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, e.code());
      assertEquals(before, c.store(0).position());
      assertEquals(Optional.empty(), c.value(0, "k"));
      assertFalse(c.node(0).readWrite());
    }
  }

  @Test
  void write_goesOnWithoutALiveFollower_whenTheReplicationWaitRunsOut_andAMajorityHoldsIt()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(1).pollPrimary(0);
      c.node(2).pollPrimary(0);

      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> c.put(0, "k", "v"));
      assertEquals("ok", c.node(1).pollPrimary(10_000)); // the entry is in the log
      assertEquals("ok", c.node(2).pollPrimary(0));
      c.node(2).pollPrimary(0); // member 2 acknowledges: a majority holds it; member 1 never does
      assertFalse(write.isDone(), "member 1 is live: the primary waits for it");
      while (!write.isDone()) {
        c.ticker.advance(ReplicaState.REPLICATION_WAIT.plus(Duration.ofMillis(1)));
        Thread.onSpinWait();
      }

      write.get();
      assertEquals(Optional.of("v"), c.value(0, "k"));
    }
  }

  @Test
  void writeThatNoMajorityConfirms_isNeverAcknowledged_butReportedAsUncertain() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.node(1).pollPrimary(0);

      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> c.put(0, "k", "v"));
      assertEquals("ok", c.node(1).pollPrimary(10_000)); // member 1 has it, never acknowledges
      assertFalse(write.isDone());
      while (!write.isDone()) { // the write may not be waiting yet: move time until it gives up
        c.ticker.advance(ReplicaState.REPLICATION_WAIT.plus(Duration.ofMillis(1)));
        Thread.onSpinWait();
      }

      ExecutionException e = assertThrows(ExecutionException.class, write::get);
      HsmException h = assertInstanceOf(HsmException.class, e.getCause());
      assertEquals(ResultCode.CKR_DEVICE_ERROR, h.code());
      assertTrue(h.getMessage().contains("may or may not be kept"), h.getMessage());
    }
  }
}
