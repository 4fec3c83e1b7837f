package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.testing.cluster.ClusterHarness;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyring-sim cluster member list} on three member processes, with the letters the guide's
 * update prerequisites read: all visible and no restart pending; {@code x} on a member whose
 * cluster service stopped (not visible to the servicing member); {@code R} on a member whose
 * cluster service package was upgraded while it runs (its {@code restartService}), seen by itself
 * and by the others, gone once its service restarted on the new version. Each list is printed.
 */
@Timeout(300)
class MemberListFlagsTest {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final String N1 = "104-00002";

  /** The four letter columns of member {@code id}'s row in {@code list}. */
  private static String letters(String list, String id) {
    return list.lines()
        .filter(l -> l.contains(id))
        .findFirst()
        .map(l -> l.substring(0, 4))
        .orElseThrow(() -> new AssertionError(id + " not in\n" + list));
  }

  @Test
  void theLetters_beforeAndAfterAMemberStopsBeingVisible_andAfterAnUpgradeThatNeedsARestart(
      @TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      String[] id = {h.localMemberId(0), h.localMemberId(1), h.localMemberId(2)};
      h.awaitConverged(SETTLE);
      ClusterHarness.await(
          "every member visible to member 0",
          SETTLE,
          () -> letters(h.memberList(0), id[2]).equals("    "));
      String before = h.memberList(0);
      System.out.println("cluster member list on member 0, all visible:\n" + before);
      assertEquals("P*  ", letters(before, id[0]));
      assertEquals("    ", letters(before, id[1]));
      assertEquals("    ", letters(before, id[2]));

      ClusterHarness.ok(h.member(2), "service", "stop", "cluster");
      ClusterHarness.await(
          "member 2 not visible to member 0",
          SETTLE,
          () -> letters(h.memberList(0), id[2]).equals("  x "));
      String stopped = h.memberList(0);
      System.out.println(
          "cluster member list on member 0, member 2's cluster service stopped:\n" + stopped);
      assertEquals("P*  ", letters(stopped, id[0]));
      assertEquals("    ", letters(stopped, id[1]));
      assertEquals("  x ", letters(stopped, id[2]));
      ClusterHarness.ok(h.member(2), "service", "start", "cluster");
      ClusterHarness.await(
          "member 2 visible again", SETTLE, () -> letters(h.memberList(0), id[2]).equals("    "));

      RollingUpdateTest.upload(h.member(1), N1);
      ClusterHarness.ok(h.member(1), "package", "upgrade");
      ClusterHarness.await(
          "member 0 sees member 1's restartService",
          SETTLE,
          () -> letters(h.memberList(0), id[1]).equals("   R"));
      String pending0 = h.memberList(0);
      String pending1 = h.memberList(1);
      System.out.println(
          "cluster member list on member 0, member 1 upgraded, not restarted:\n" + pending0);
      System.out.println("the same on member 1:\n" + pending1);
      assertEquals("P*  ", letters(pending0, id[0]));
      assertEquals("   R", letters(pending0, id[1]));
      assertEquals(" * R", letters(pending1, id[1]));
      assertEquals("    ", letters(pending0, id[2]));

      ClusterHarness.ok(h.member(1), "service", "restart", "cluster");
      ClusterHarness.await(
          "member 1 restarted on the new version, authorized again",
          SETTLE,
          () -> letters(h.memberList(0), id[1]).equals("    ") && h.authorized(1));
      String after = h.memberList(0);
      System.out.println("cluster member list on member 0, member 1 restarted:\n" + after);
      assertEquals("    ", letters(after, id[1]));
      JsonNode members = h.members(0);
      for (JsonNode m : members) {
        String expected =
            m.path("memberID").asText().equals(id[1]) ? N1 : RollingUpdateTest.N_FACTORY;
        assertEquals(expected, m.path("version").asText(), m::toString);
      }
      assertTrue(after.contains("R its cluster service needs a restart"), after);
      h.awaitConverged(SETTLE); // mixed versions replicate together
    }
  }
}
