package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.LogPosition;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replacing an unrecoverable primary is an election: the other members vote in a new epoch, and a
 * voter never again counts for the old primary. So an acknowledged write survives the replacement,
 * a primary replaced while alive can no longer acknowledge, and a member that cannot reach enough
 * voters changes nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class FencingTest {
  @TempDir Path dir;

  @Test
  void acknowledgedWrite_survivesTheReplacementOfItsPrimary_evenIfTheDeletingMemberLacksIt()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.ticker.advance(ClusterNode.LIVE); // member 1 is not live: members 0 and 2 are a majority
      c.putAcknowledged(0, "k", "acknowledged", 2);
      assertEquals(Optional.empty(), c.value(1, "k"));

      c.network.down.add(InProcessCluster.address(0)); // the primary is lost
      c.node(1).probePeers();
      c.node(1).deleteUnrecoverable(c.node(0).memberId());

      assertTrue(c.node(2).isPrimary(), "the voter holding the most of the log is promoted");
      assertFalse(c.node(1).isPrimary());
      c.node(1).probePeers(); // learns who the new primary is
      c.node(1).pollPrimary(0);
      assertEquals(Optional.of("acknowledged"), c.value(1, "k"));
      assertEquals(Optional.of("acknowledged"), c.value(2, "k"));
      assertEquals(2, c.node(2).membership().members().size());
    }
  }

  @Test
  void replacedPrimary_thatIsStillAlive_canNoLongerAcknowledge() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      long epoch = c.node(0).membership().epoch();
      c.network.down.add(InProcessCluster.address(0)); // cut off, but alive
      c.node(1).deleteUnrecoverable(c.node(0).memberId());
      assertEquals(epoch + 1, c.node(1).membership().epoch());

      // a voter's poll reaching the old primary is not counted
      LogPosition p = c.store(2).position();
      PeerMessages.PollAnswer a =
          c.node(0)
              .poll(
                  new PeerMessages.Poll(
                      c.node(2).memberId(), p.epoch(), p.sequence(), 0, epoch + 1),
                  InProcessCluster.fingerprint(2));
      assertEquals("fenced", a.status());

      // and with no follower counting for it, the old primary refuses writes, appending nothing
      c.ticker.advance(ClusterNode.LIVE);
      LogPosition before = c.store(0).position();
      HsmException e = assertThrows(HsmException.class, () -> c.put(0, "lost", "x"));
      assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, e.code());
      assertEquals(before, c.store(0).position());
    }
  }

  @Test
  void removedPrimary_learnsOfTheNewEpochFromAProbe_andThenThatItWasRemoved() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.network.down.add(InProcessCluster.address(0));
      c.node(1).deleteUnrecoverable(c.node(0).memberId());
      c.network.down.remove(InProcessCluster.address(0)); // the link heals
      assertTrue(c.node(0).isPrimary(), "it has heard nothing yet");

      c.node(0).probePeers(); // an ex-member's probe is answered: the epoch is newer

      assertFalse(c.node(0).isPrimary());
      assertEquals("removed", c.node(0).pollPrimary(0));
      assertTrue(c.node(0).removed());
      HsmException e = assertThrows(HsmException.class, () -> c.put(0, "k", "v"));
      assertEquals(ResultCode.CKR_DEVICE_REMOVED, e.code());
    }
  }

  @Test
  void deleteFromAMinority_isRefused_changesNothing_andTakesItsVoteBack() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      long epoch = c.node(0).membership().epoch();
      // member 1 reaches neither the primary nor member 2
      c.network.down.add(InProcessCluster.address(0));
      c.network.down.add(InProcessCluster.address(2));

      HsmException e =
          assertThrows(
              HsmException.class, () -> c.node(1).deleteUnrecoverable(c.node(0).memberId()));

      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(e.getMessage().contains("needs the votes of 2"), e.getMessage());
      assertEquals(epoch, c.node(1).membership().epoch());
      assertEquals(0, c.node(1).status().promisedEpoch(), "the vote was taken back");
      c.network.down.clear();
      assertEquals("ok", c.node(1).pollPrimary(0), "member 1 follows the primary again");
      assertTrue(c.node(0).isPrimary());
    }
  }

  @Test
  void twoMembers_deletingTheLostPrimary_needsOnlyTheSurvivor_whichThenWritesAlone()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.putAcknowledged(0, "k", "1");
      c.network.down.add(InProcessCluster.address(0));

      c.node(1).deleteUnrecoverable(c.node(0).memberId());

      assertTrue(c.node(1).isPrimary());
      assertEquals(1, c.node(1).membership().members().size());
      c.put(1, "k", "2"); // a majority of one
      assertEquals(Optional.of("2"), c.value(1, "k"));
    }
  }

  @Test
  void twoMembers_losingOne_stopTakingWrites_untilTheLostOneIsDeleted() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.putAcknowledged(0, "k", "1");
      c.network.down.add(InProcessCluster.address(1));
      c.ticker.advance(ClusterNode.LIVE);

      HsmException e = assertThrows(HsmException.class, () -> c.put(0, "k", "2"));
      assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, e.code());

      c.node(0).deleteUnrecoverable(c.node(1).memberId()); // a change of the membership: allowed
      assertEquals(1, c.node(0).membership().members().size());
      c.put(0, "k", "2");
      assertEquals(Optional.of("2"), c.value(0, "k"));
    }
  }

  @Test
  void vote_isGivenOncePerEpoch_andKeptAcrossARestart() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      long next = c.node(1).membership().epoch() + 1;
      assertTrue(c.node(1).fence(new PeerMessages.Fence(next, "a")).ok());
      assertTrue(c.node(1).fence(new PeerMessages.Fence(next, "a")).ok(), "the same ask again");
      assertFalse(c.node(1).fence(new PeerMessages.Fence(next, "b")).ok(), "another candidate");
      assertFalse(c.node(1).fence(new PeerMessages.Fence(next - 1, "c")).ok(), "an older epoch");

      ReplicaState reopened =
          new ReplicaState(
              c.node(1).memberId(),
              "again",
              c.store(1),
              c.ticker,
              new InProcessCluster.RecordingListener());
      assertEquals(next, reopened.promisedEpoch());
      assertFalse(c.node(1).release(new PeerMessages.Release(next, "b")).ok());
      assertTrue(c.node(1).release(new PeerMessages.Release(next, "a")).ok());
    }
  }
}
