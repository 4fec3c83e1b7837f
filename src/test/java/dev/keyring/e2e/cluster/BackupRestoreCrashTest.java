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
 * The member halted at once (as {@code kill -9} would) in the middle of a backup and in the middle
 * of a restore, at points chosen by the member's crash hook: the backup file under its name is the
 * old one, whole; the interrupted restore left each keyring wholly restored or untouched, and runs
 * again to completion.
 */
@Timeout(600)
class BackupRestoreCrashTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final int KEYRINGS = 8;

  @Test
  void haltedMidBackupAndMidRestore_leaveNoTornFile_andKeyringsWholeOrUntouched(@TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      h.createKeyrings(0, "app", INITIAL, KEYRINGS, 1);
      String atBackup = h.state(0).digest();
      backup(h);
      Path files = dir.resolve("member0/data/files/admin");
      byte[] whole = Files.readAllBytes(files.resolve("base"));

      // halted while writing the backup again under the same name
      restartWith(h, Map.of("backupHaltAt", "backup:3"));
      MemberProcess.SimRun cut = h.member(0).sim(BackupCli.backup("base"));
      assertNotEquals(0, cut.exit(), cut.toString());
      restartAfterHalt(h);
      assertArrayEquals(whole, Files.readAllBytes(files.resolve("base")), "the old file, whole");
      try (Stream<Path> left = Files.list(files)) {
        assertEquals(List.of("base"), left.map(p -> p.getFileName().toString()).toList());
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
      assertEquals(0, h.state(0).keyrings());

      // halted inside the transaction of the 5th keyring of the restore
      restartWith(h, Map.of("backupHaltAt", "restore-writing:5"));
      MemberProcess.SimRun halted = h.member(0).sim(BackupCli.restore("base"));
      assertNotEquals(0, halted.exit(), halted.toString());
      restartAfterHalt(h);
      assertEquals(4, h.state(0).keyrings(), "four keyrings whole, the fifth not at all");

      MemberProcess.SimRun done = ClusterHarness.ok(h.member(0), BackupCli.restore("base"));
      assertTrue(done.out().contains("completed, " + KEYRINGS + "/" + KEYRINGS), done.toString());
      assertEquals(atBackup, h.state(0).digest());
    }
  }

  private static void backup(ClusterHarness h) {
    ClusterHarness.ok(h.member(0), BackupCli.backup("base"));
  }

  private static void restartWith(ClusterHarness h, Map<String, String> settings) throws Exception {
    if (h.member(0).isAlive()) {
      h.member(0).close();
    }
    h.startMember(0, settings);
  }

  /**
   * Starts the halted member again: a lone member back from a crash is not authorized and refuses a
   * backup, saying how to authorize it; the operator authorizes it. (A stop through SIGTERM, as
   * {@link #restartWith} does, keeps the authorization.)
   */
  private static void restartAfterHalt(ClusterHarness h) throws Exception {
    awaitDead(h);
    restartWith(h, Map.of());
    assertFalse(h.authorized(0), "a lone member back from a crash is not authorized");
    MemberProcess.SimRun refused = h.member(0).sim(BackupCli.backup("refused"));
    assertNotEquals(0, refused.exit(), refused.toString());
    assertTrue(refused.toString().contains("is not authorized"), refused.toString());
    assertTrue(
        refused.toString().contains("keyring-sim cluster member authorize"), refused.toString());
    h.authorize(0);
    assertTrue(h.authorized(0));
  }

  private static void awaitDead(ClusterHarness h) throws InterruptedException {
    ClusterHarness.await("the member halted", SETTLE, () -> !h.member(0).isAlive());
  }
}
