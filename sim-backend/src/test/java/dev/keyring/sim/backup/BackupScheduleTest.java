package dev.keyring.sim.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.TestKeyring;
import dev.keyring.store.ReplicatedWriter;
import dev.keyring.testing.FakeTicker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scheduled backups on a fake clock: weeks of schedule in milliseconds, rotation, promotion. */
class BackupScheduleTest {
  @TempDir Path dir;
  TestKeyring tk;
  BackupFiles files;
  final FakeTicker ticker = new FakeTicker(); // 2026-01-01T00:00Z, a Thursday
  final AtomicReference<String> member = new AtomicReference<>("member-a");
  final AtomicBoolean primary = new AtomicBoolean(true);

  @BeforeEach
  void setUp() {
    tk = new TestKeyring(dir.resolve("m"));
    files = new BackupFiles(dir.resolve("files"));
  }

  @AfterEach
  void tearDown() {
    tk.close();
  }

  BackupSchedule schedule() {
    ClusterBackup backup =
        new ClusterBackup(
            tk.store, files, new SecureRandom(), BackupHooks.NONE, ticker::currentTimeMillis);
    return new BackupSchedule(
        tk.store,
        ReplicatedWriter.local(tk.store),
        tk.boundary,
        files,
        backup,
        member::get,
        primary::get,
        new BackupProgress(),
        "admin");
  }

  List<String> names() {
    return files.list("admin").stream().map(BackupFiles.FileInfo::name).toList();
  }

  /** Ticks every 10 minutes for {@code d}. */
  void run(BackupSchedule s, Duration d) {
    for (long m = 0; m < d.toMinutes(); m += 10) {
      ticker.advance(Duration.ofMinutes(10));
      s.tick();
    }
  }

  @Test
  void fiveWeeksOfSchedule_keepExactlyTotalFiles_theNewest() {
    BackupSchedule s = schedule();
    s.configure("weekly", 3, "2:03:30"); // Tuesdays 03:30 UTC
    s.enable("schedule-password");
    run(s, Duration.ofDays(35));
    assertEquals(
        List.of("weekly_20260120-0330", "weekly_20260127-0330", "weekly_20260203-0330"), names());
  }

  @Test
  void twoWeeks_withTotalOne_keepTheNewestOnly_andTheScheduleSurvivesANewScheduleObject() {
    BackupSchedule s = schedule();
    s.configure("daily", 1, "0:00:00"); // Sundays at midnight
    s.enable("schedule-password");
    run(s, Duration.ofDays(7));
    assertEquals(List.of("daily_20260104-0000"), names());
    // a restart: a new schedule over the same store goes on, the password still sealed there
    BackupSchedule restarted = schedule();
    assertTrue(restarted.show().runsHere());
    run(restarted, Duration.ofDays(7));
    assertEquals(List.of("daily_20260111-0000"), names());
  }

  @Test
  void theScheduleIsChangedOnlyWhenDisabled_andBadValuesAreRefusedWithTheRule() {
    BackupSchedule s = schedule();
    for (int total : new int[] {0, 16, -1}) {
      HsmException e = assertThrows(HsmException.class, () -> s.configure("x", total, "1:01:00"));
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code());
      assertTrue(e.getMessage().contains("1 to 15"), e.getMessage());
    }
    for (String t : new String[] {"7:09:30", "1:24:00", "1:09:60", "1:9:30", "", "1-09-30", "x"}) {
      HsmException e = assertThrows(HsmException.class, () -> s.configure("x", 2, t));
      assertTrue(e.getMessage().contains("d:hh:mm"), e.getMessage());
    }
    for (String f : new String[] {"a b", "a/b", ".hidden", "", "x".repeat(51), "naïve"}) {
      HsmException e = assertThrows(HsmException.class, () -> s.configure(f, 2, "1:01:00"));
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code());
    }
    assertTrue(s.config().isEmpty(), "nothing refused was saved");
    s.configure("ok", 2, "1:01:00");
    s.enable("schedule-password");
    HsmException e = assertThrows(HsmException.class, () -> s.configure("ok", 3, "1:01:00"));
    assertTrue(e.getMessage().contains("disable"), e.getMessage());
    s.disable();
    assertEquals(3, s.configure("ok", 3, "1:01:00").total());
  }

  @Test
  void afterAPromotion_theOldPrimaryStops_andTheNewOneRunsOnceDisabledAndEnabledAgain()
      throws Exception {
    BackupSchedule s = schedule();
    s.configure("weekly", 5, "4:12:00"); // Thursdays noon
    s.enable("schedule-password");
    primary.set(false); // member-a was demoted
    run(s, Duration.ofDays(7));
    assertEquals(List.of(), names(), "the old primary stopped");
    assertTrue(s.show().note().contains("no longer the primary"), s.show().note());

    member.set("member-b");
    primary.set(true);
    BackupSchedule.View v = s.show();
    assertFalse(v.runsHere());
    assertNotNull(v.note());
    assertTrue(v.note().contains("disable and enable"), v.note());
    run(s, Duration.ofDays(7));
    assertEquals(List.of(), names(), "not before it is enabled again here");

    s.disable();
    BackupSchedule.View enabled = s.enable("schedule-password");
    assertTrue(enabled.runsHere());
    assertEquals("weekly", enabled.filename(), "the configuration was kept");
    run(s, Duration.ofDays(7));
    assertEquals(1, names().size());
    assertTrue(Files.size(files.path("admin", names().get(0))) > 0);
    // the password is kept sealed, not in plaintext, in the member's state
    byte[] sealed = tk.store.hsmState(BackupSchedule.PASSWORD_KEY).orElseThrow();
    assertFalse(
        new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1)
            .contains("schedule-password"));
  }
}
