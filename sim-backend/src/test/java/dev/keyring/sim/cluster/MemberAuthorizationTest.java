package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authorization is real per-member state: a member whose cluster service starts is authorized once
 * it holds the primary's state (it takes its authorization from the primary), the primary by its
 * own record, and other members as they last said of themselves while they are seen. A member that
 * lost its authorization in a crash takes it from another member that is active and authorized,
 * never from one that lost it too; alone, it stays unauthorized until the operator authorizes it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class MemberAuthorizationTest {
  @TempDir Path dir;

  @Test
  void aStartingMember_isAuthorizedOnceItHoldsThePrimarysState() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      // member 2 joined last and has not polled the primary since its service started
      String follower = c.node(2).memberId();
      assertTrue(c.node(0).authorized(c.node(0).memberId()), "the primary, by its record");
      assertFalse(c.node(2).authorized(follower), "not before it holds the primary's state");
      c.node(0).probePeers();
      assertFalse(c.node(0).authorized(follower), "the primary sees it unauthorized too");

      c.node(2).pollPrimary(0);
      assertTrue(c.node(2).authorized(follower), "caught up: authorized");
      c.node(0).probePeers();
      assertTrue(c.node(0).authorized(follower), "and the primary learns it");
    }
  }

  @Test
  void aMemberWhoseRecordIsNotAuthorized_staysUnauthorized_andAnUnseenOneIsNotReportedAuthorized()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      AtomicBoolean record = new AtomicBoolean(false);
      c.node(1).authorization(record::get);
      c.node(1).pollPrimary(0);
      String follower = c.node(1).memberId();
      assertFalse(c.node(1).authorized(follower), "caught up, but its record says no");
      record.set(true);
      assertTrue(c.node(1).authorized(follower));

      c.node(0).probePeers();
      assertTrue(c.node(0).authorized(follower));
      c.network.down.add(InProcessCluster.address(1));
      c.ticker.advance(ClusterNode.LIVE.multipliedBy(2));
      c.node(0).probePeers();
      assertFalse(c.node(0).authorized(follower), "not seen: not reported authorized");
    }
  }

  /** A member's record of its authorization, as its cluster service keeps it. */
  private static final class Record implements MemberAuthorization {
    volatile boolean granted;
    volatile boolean lost;
    volatile String from;

    static Record lostInACrash() {
      Record r = new Record();
      r.lost = true;
      return r;
    }

    @Override
    public boolean granted() {
      return granted;
    }

    @Override
    public boolean lost() {
      return lost && !granted;
    }

    @Override
    public void takeFrom(String member) {
      from = member;
      granted = true;
      lost = false;
    }
  }

  @Test
  void aPrimaryThatLostItsAuthorization_withEveryOtherMemberDown_staysUnauthorized_thenTakesIt()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      Record primary = Record.lostInACrash();
      c.node(0).authorization(primary);
      String id = c.node(0).memberId();
      c.network.down.add(InProcessCluster.address(1));
      c.network.down.add(InProcessCluster.address(2));
      c.node(0).probePeers();
      assertFalse(c.node(0).authorized(id), "no other member active: not authorized");
      assertFalse(c.node(0).takeAuthorization(true));
      assertNull(primary.from);

      // member 1 comes back, authorized and holding the primary's state: it hands it over
      c.network.down.remove(InProcessCluster.address(1));
      c.node(1).pollPrimary(0);
      c.node(0).probePeers();
      assertTrue(c.node(0).authorized(id), "taken from the active member");
      assertEquals("LNH-1", primary.from);
    }
  }

  @Test
  void aFollowerThatLostItsAuthorization_takesItFromTheActivePrimary() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      Record follower = Record.lostInACrash();
      c.node(2).authorization(follower);
      String id = c.node(2).memberId();
      c.node(2).pollPrimary(0);
      assertTrue(c.node(2).takeAuthorization(true), "asked the others now: the primary is");
      assertEquals("LNH-0", follower.from);
      assertTrue(c.node(2).authorized(id));
      c.node(0).probePeers();
      assertTrue(c.node(0).authorized(id), "and the primary learns it");
    }
  }

  @Test
  void membersThatAllLostIt_doNotHandItToEachOther_untilTheOperatorAuthorizesOne()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      Record[] records = new Record[3];
      for (int i = 0; i < 3; i++) {
        records[i] = Record.lostInACrash();
        c.node(i).authorization(records[i]);
      }
      for (int round = 0; round < 2; round++) {
        c.node(1).pollPrimary(0);
        c.node(2).pollPrimary(0);
        for (int i = 0; i < 3; i++) {
          c.node(i).probePeers();
          assertFalse(c.node(i).authorized(c.node(i).memberId()), "member " + i);
        }
      }
      for (int i = 0; i < 3; i++) {
        assertNull(records[i].from, "member " + i);
      }

      records[0].granted = true; // the operator authorizes the first member back
      records[0].lost = false;
      for (int i = 1; i < 3; i++) {
        c.node(i).probePeers();
        assertTrue(c.node(i).authorized(c.node(i).memberId()), "member " + i);
        assertEquals("LNH-0", records[i].from);
      }
    }
  }
}
