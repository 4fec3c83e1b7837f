package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guide's restore procedure on three members as their own JVMs, through the command line: a
 * backup on the primary; keyrings deleted and added; a restore refused while the other members run
 * (naming them); their cluster services stopped; the restore; the members started one at a time,
 * each once the one before is authorized; all three converge on the state of the backup.
 */
@Timeout(600)
class BackupRestoreClusterTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String BACKUP_PW = "backup-password-1";
  private static final Duration SETTLE = Duration.ofSeconds(60);

  @Test
  void restoreWithTheOthersStopped_thenStartedOneAtATime_convergesOnTheBackup(@TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, 6, 1);
      ClusterHarness.State atBackup = h.awaitConverged(SETTLE);
      shown(
          h,
          0,
          "cluster",
          "backup",
          "run",
          "-filename",
          "before-change",
          "-backuppassword",
          BACKUP_PW);
      assertTrue(shown(h, 0, "my", "file", "list").out().contains("before-change"));
      MemberProcess.SimRun notPrimary =
          h.member(1)
              .sim(
                  "cluster",
                  "backup",
                  "run",
                  "-filename",
                  "elsewhere",
                  "-backuppassword",
                  BACKUP_PW);
      assertEquals(1, notPrimary.exit(), notPrimary.toString());
      assertTrue(notPrimary.err().contains("primary member only"), notPrimary.toString());

      ClusterHarness.ok(
          h.member(0), "keyring", "delete", "-label", "app2", "-copassword", ClusterHarness.CO);
      ClusterHarness.ok(
          h.member(0), "keyring", "delete", "-label", "app5", "-copassword", ClusterHarness.CO);
      h.createKeyrings(0, "late", INITIAL, 1, 1);
      assertNotEquals(atBackup.digest(), h.awaitConverged(SETTLE).digest());

      MemberProcess.SimRun refused =
          h.member(0)
              .sim(
                  "cluster",
                  "restore",
                  "run",
                  "-filename",
                  "before-change",
                  "-restorepassword",
                  BACKUP_PW);
      System.out.println(
          "member0$ keyring-sim cluster restore run -filename before-change -restorepassword ****");
      System.out.print(refused.err());
      assertEquals(1, refused.exit(), refused.toString());
      assertTrue(refused.err().contains("still running"), refused.toString());

      shown(h, 1, "service", "stop", "cluster");
      shown(h, 2, "service", "stop", "cluster");
      ClusterHarness.await(
          "the primary no longer sees the stopped members",
          SETTLE,
          () -> h.memberList(0).lines().filter(l -> l.matches("^[ P][ *]x.*")).count() == 2);
      MemberProcess.SimRun restored =
          shown(
              h,
              0,
              "cluster",
              "restore",
              "run",
              "-filename",
              "before-change",
              "-type",
              "keyring",
              "-restorepassword",
              BACKUP_PW);
      assertTrue(restored.out().contains("completed, 6/6 keyrings"), restored.toString());

      for (int i = 1; i <= 2; i++) {
        shown(h, i, "service", "start", "cluster");
        String id = h.localMemberId(i);
        ClusterHarness.await(
            "member " + i + " is authorized (memberActive)", SETTLE, () -> active(h, id));
        shown(h, 0, "cluster", "member", "list");
      }
      h.awaitConverged(SETTLE);
      // the keyring that is not in the backup is untouched; without it, the state is the backup's
      ClusterHarness.ok(
          h.member(0), "keyring", "delete", "-label", "late1", "-copassword", ClusterHarness.CO);
      ClusterHarness.State after = h.awaitConverged(SETTLE);
      assertEquals(atBackup.digest(), after.digest());
      assertEquals(6, after.keyrings());
      assertEquals(3, h.liveStates().size());
    }
  }

  /** Runs a command that must succeed on member {@code i} and prints it with its output. */
  private static MemberProcess.SimRun shown(ClusterHarness h, int i, String... args) {
    MemberProcess.SimRun r = ClusterHarness.ok(h.member(i), args);
    System.out.println(
        "member" + i + "$ keyring-sim " + String.join(" ", args).replace(BACKUP_PW, "****"));
    System.out.print(r.out());
    return r;
  }

  private static boolean active(ClusterHarness h, String memberId) {
    JsonNode members =
        h.member(0)
            .rest()
            .send(
                "GET",
                "/api/clusters/" + h.clusterId() + "/members",
                "admin",
                ClusterHarness.ADMIN_PW,
                null)
            .expect(200)
            .json()
            .path("data");
    for (JsonNode m : members) {
      if (m.path("memberID").asText().equals(memberId)) {
        return m.path("memberActive").asBoolean() && m.path("authorized").asBoolean();
      }
    }
    return false;
  }
}
