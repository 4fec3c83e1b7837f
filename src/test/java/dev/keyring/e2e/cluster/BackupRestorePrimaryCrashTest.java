package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary of a three-member cluster halted at once (as {@code kill -9} would), at several
 * points chosen by its crash hook: twice while it writes a backup again under the same name (the
 * old file stays whole, no temporary file is left), and twice inside a restore (each keyring is
 * wholly restored or untouched, and the restore runs again from where it stopped). Then the other
 * members are started one at a time and all three hold exactly the state of the backup: the same
 * digest as when it was taken.
 */
@Timeout(900)
class BackupRestorePrimaryCrashTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final int KEYRINGS = 8;

  @Test
  void primaryHaltedMidBackupAndMidRestore_atSeveralPoints(@TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, KEYRINGS, 1);
      String atBackup = h.awaitConverged(SETTLE).digest();
      ClusterHarness.ok(h.member(0), BackupCli.backup("base"));
      Path files = dir.resolve("member0/data/files/admin");
      byte[] whole = Files.readAllBytes(files.resolve("base"));

      for (String point : List.of("backup:1", "backup:3")) {
        haltAt(h, point, BackupCli.backup("base"));
        restart(h, Map.of());
        assertArrayEquals(
            whole, Files.readAllBytes(files.resolve("base")), point + ": the old file, whole");
        try (Stream<Path> left = Files.list(files)) {
          assertEquals(
              List.of("base"),
              left.map(p -> p.getFileName().toString()).toList(),
              point + ": no temporary file left");
        }
      }

      for (int i = 1; i <= KEYRINGS; i++) {
        ClusterHarness.ok(
            h.member(0),
            "keyring",
            "delete",
            "-label",
            "app" + i,
            "-copassword",
            ClusterHarness.CO);
      }
      h.awaitConverged(SETTLE);
      ClusterHarness.ok(h.member(1), "service", "stop", "cluster");
      ClusterHarness.ok(h.member(2), "service", "stop", "cluster");

      // halted inside the 3rd keyring's write, then inside the 6th on the run again
      haltAt(h, "restore-writing:3", BackupCli.restore("base"));
      restart(h, Map.of());
      authorizeAlone(h);
      assertEquals(2, h.state(0).keyrings(), "two keyrings whole, the third not at all");
      haltAt(h, "restore-writing:6", BackupCli.restore("base"));
      restart(h, Map.of());
      authorizeAlone(h);
      assertEquals(5, h.state(0).keyrings(), "five keyrings whole, the sixth not at all");
      MemberProcess.SimRun done = ClusterHarness.ok(h.member(0), BackupCli.restore("base"));
      assertTrue(done.out().contains("completed, " + KEYRINGS + "/" + KEYRINGS), done.toString());
      assertEquals(atBackup, h.state(0).digest(), "the primary holds the backup's state");

      for (int i = 1; i <= 2; i++) {
        ClusterHarness.ok(h.member(i), "service", "start", "cluster");
        int member = i;
        ClusterHarness.await(
            "member " + i + " holds the restored state",
            SETTLE,
            () -> atBackup.equals(h.state(member).digest()));
      }
      assertEquals(atBackup, h.awaitConverged(SETTLE).digest());
      assertEquals(3, h.liveStates().size());
    }
  }

  /**
   * The primary back from a crash while the other members' cluster services are stopped has no
   * active member to take its authorization from: it refuses the restore, saying how to authorize
   * it, until the operator authorizes it. (Back from the crashes of the backup, with the others
   * running, it took its authorization from them.)
   */
  private static void authorizeAlone(ClusterHarness h) {
    assertFalse(h.authorized(0), "alone after a crash: not authorized");
    MemberProcess.SimRun refused = h.member(0).sim(BackupCli.restore("base"));
    assertNotEquals(0, refused.exit(), refused.toString());
    assertTrue(refused.toString().contains("is not authorized"), refused.toString());
    assertTrue(
        refused.toString().contains("keyring-sim cluster member authorize"), refused.toString());
    h.authorize(0);
  }

  /** Restarts the primary with crash hook {@code point}, runs {@code args}: it halts. */
  private static void haltAt(ClusterHarness h, String point, String[] args) throws Exception {
    restart(h, Map.of("backupHaltAt", point));
    MemberProcess.SimRun cut = h.member(0).sim(args);
    assertNotEquals(0, cut.exit(), point + ": " + cut);
    ClusterHarness.await(
        "the primary halted at " + point + " (the command gave: " + cut + ")",
        SETTLE,
        () -> !h.member(0).isAlive());
  }

  /** Restarts member 0 with {@code settings} and waits until it takes backups again. */
  private static void restart(ClusterHarness h, Map<String, String> settings) throws Exception {
    if (h.member(0).isAlive()) {
      h.member(0).close();
    }
    h.startMember(0, settings);
    ClusterHarness.await(
        "member 0 back as the primary",
        SETTLE,
        () -> h.memberList(0).lines().anyMatch(l -> l.startsWith("P*")));
  }
}
