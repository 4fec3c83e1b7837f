package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The membership changes the administration guide forbids, each refused with the rule in the
 * message and nothing changed: deleting a member that is still visible (or oneself), leaving while
 * another member is not visible, the primary leaving before it handed its role over, and promoting
 * a member that is read-only.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class MembershipRefusalsTest {
  @TempDir Path dir;

  @Test
  void deletingAVisibleMember_isRefused_itMustLeave() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(1).pollPrimary(0);
      c.node(2).pollPrimary(0); // both visible to the primary
      Membership before = c.node(0).membership();

      String message =
          refused(c, () -> c.node(0).deleteUnrecoverable(c.node(1).memberId()), before);

      assertTrue(message.contains("is visible to"), message);
      assertTrue(message.contains("leaves"), message);
    }
  }

  @Test
  void deletingTheMemberOneTalksTo_isRefused() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      Membership before = c.node(0).membership();

      String message =
          refused(c, () -> c.node(0).deleteUnrecoverable(c.node(0).memberId()), before);

      assertTrue(message.contains("make it leave instead"), message);
    }
  }

  @Test
  void leaving_whileAnotherMemberIsNotVisible_isRefused() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(1).pollPrimary(0);
      c.ticker.advance(ClusterNode.LIVE); // no member has heard from another since
      Membership before = c.node(1).membership();

      String message = refused(c, () -> c.node(1).leave(), before);

      assertTrue(message.contains("is not visible"), message);
      assertFalse(c.node(1).removed(), "the member is still in the cluster");
    }
  }

  @Test
  void thePrimaryLeaving_beforeItHandedItsRoleOver_isRefused() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.node(1).pollPrimary(0); // member 1 visible: only the primary rule is left to refuse
      Membership before = c.node(0).membership();

      String message = refused(c, () -> c.node(0).leave(), before);

      assertTrue(message.contains("promote another member first"), message);
      assertTrue(c.node(0).isPrimary());
      assertFalse(c.node(0).removed());
    }
  }

  @Test
  void promotingAReadOnlyMember_isRefused() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.node(1).pollPrimary(0);
      c.node(0).probePeers(); // the primary learns that member 1 is read-write
      c.ticker.advance(ClusterNode.LIVE); // ... and then hears nothing from it: read-only
      c.node(2).pollPrimary(0);
      Membership before = c.node(0).membership();

      String message = refused(c, () -> c.node(0).promote(c.node(1).memberId()), before);

      assertTrue(message.contains("is read-only"), message);
      assertTrue(c.node(0).isPrimary());
      assertFalse(c.node(1).isPrimary());
    }
  }

  /** Runs {@code change}, expects CKR_FUNCTION_FAILED, checks nothing changed; the message. */
  private static String refused(InProcessCluster c, Executable change, Membership before) {
    HsmException e = assertThrows(HsmException.class, change);
    assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code(), e.getMessage());
    for (int i = 0; i < before.members().size(); i++) {
      Membership now = c.node(i).membership();
      assertEquals(before.epoch(), now.epoch(), "member " + i + ": no new epoch");
      assertEquals(before.members().size(), now.members().size(), "member " + i + ": same size");
    }
    return e.getMessage();
  }
}
