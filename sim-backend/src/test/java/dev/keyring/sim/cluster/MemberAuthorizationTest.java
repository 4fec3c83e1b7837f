package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * own record, and other members as they last said of themselves while they are seen.
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
}
