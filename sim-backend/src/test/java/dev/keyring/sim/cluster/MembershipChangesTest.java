package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Promotion hands the primary role over once the target holds every entry; a new epoch starts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class MembershipChangesTest {
  @TempDir Path dir;

  @Test
  void promote_handsThePrimaryRoleOver_andTheOldPrimaryFollowsTheNewOne() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.putAcknowledged(0, "a", "1"); // member 1 receives and acknowledges it
      c.node(0).probePeers(); // the primary learns that member 1 is read-write
      long epoch = c.node(0).membership().epoch();

      c.node(0).promote(c.node(1).memberId());

      assertTrue(c.node(1).isPrimary());
      assertFalse(c.node(0).isPrimary());
      assertEquals(epoch + 1, c.node(1).membership().epoch());

      assertEquals("ok", c.node(0).pollPrimary(0)); // the old primary follows the new one
      assertEquals(c.node(1).memberId(), c.node(0).membership().primaryId());
      assertEquals(epoch + 1, c.node(0).membership().epoch());

      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> c.put(1, "b", "2"));
      assertEquals("ok", c.node(0).pollPrimary(10_000));
      c.node(0).pollPrimary(0);
      write.get();
      assertEquals(Optional.of("2"), c.value(0, "b"));
    }
  }

  @Test
  void handover_waitsUntilTheTargetAcknowledgedEveryEntry() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(1).pollPrimary(0);
      c.node(0).probePeers();
      c.ticker.advance(ClusterNode.LIVE);
      // member 1 is not live on the primary: member 2 makes the majority, the write does not wait
      c.putAcknowledged(0, "a", "1", 2);
      c.node(1).pollPrimary(0); // member 1 holds the entry but has not acknowledged it

      CompletableFuture<PeerMessages.Done> handover =
          CompletableFuture.supplyAsync(() -> c.node(0).handover(c.node(1).memberId()));
      c.node(1).pollPrimary(0); // acknowledges

      assertTrue(handover.get().ok(), handover.get().message());
      assertTrue(c.node(1).isPrimary());
      assertEquals(Optional.of("1"), c.value(1, "a"));
    }
  }

  @Test
  void handover_isRefused_whenTheTargetDoesNotCatchUpInTime() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.ticker.advance(ClusterNode.LIVE); // member 1 is not live: nothing waits for it
      c.putAcknowledged(0, "a", "1", 2); // member 1 does not poll again: it lacks the entry

      CompletableFuture<PeerMessages.Done> handover =
          CompletableFuture.supplyAsync(() -> c.node(0).handover(c.node(1).memberId()));
      while (!handover.isDone()) {
        c.ticker.advance(ReplicaState.REPLICATION_WAIT);
        Thread.onSpinWait();
      }

      assertFalse(handover.get().ok());
      assertTrue(c.node(0).isPrimary());
      assertFalse(c.node(1).isPrimary());
    }
  }

  @Test
  void promote_refusesAMemberThatIsNotKnownToBeReadWrite() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      HsmException e =
          assertThrows(HsmException.class, () -> c.node(0).promote(c.node(1).memberId()));
      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(c.node(0).isPrimary());
    }
  }

  @Test
  void moveToGroup_isReplicatedToTheFollowers() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      CompletableFuture<Membership> moved =
          CompletableFuture.supplyAsync(() -> c.node(0).moveToGroup(c.node(1).memberId(), "east"));
      c.pumpUntil(moved::isDone); // a change of the membership is acknowledged like any write
      moved.join();

      assertEquals(
          "east", c.node(1).membership().member(c.node(1).memberId()).orElseThrow().group());
    }
  }

  @Test
  void aMemberLeaving_isOut_evenWhenItNeverReceivesTheEntryOfItsRemoval() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(2).pollPrimary(0);
      c.node(2).probePeers(); // every other member visible to it: a leave needs them all
      CompletableFuture<Void> leaving = CompletableFuture.runAsync(() -> c.node(2).leave());
      // member 1 polls and acknowledges the removal; member 2 does not poll again, as a primary
      // sends nothing to a member it removed: its wait for the entry of its removal ends by the
      // ticker, moved on once member 1 holds the removal
      long guard = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!leaving.isDone() && System.nanoTime() < guard) {
        c.node(1).pollPrimary(0);
        if (c.node(1).membership().members().size() == 2) {
          c.ticker.advance(java.time.Duration.ofMillis(200));
        }
        Thread.sleep(5);
      }
      leaving.join(); // the leave succeeded: the removal was made, its entry never came here
      assertTrue(c.node(2).removed());
      assertFalse(c.node(0).membership().member(c.node(2).memberId()).isPresent());
      assertEquals(2, c.node(1).membership().members().size());
    }
  }
}
