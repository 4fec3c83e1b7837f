package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.SystemProperties;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guide's restore procedure on three members as their own JVMs, through the command line: a
 * backup on the primary; keyrings deleted and added; a restore refused while the other members run
 * (naming them); their cluster services stopped; the restore; the members started one at a time,
 * each once the one before is authorized; all three converge, with what the backup holds back
 * (objects, a changed password, a locked keyring, deleted keyrings) and what it does not hold
 * untouched (a keyring made after it, an object added to one of its keyrings).
 *
 * <p>Its size is set by {@code keyring.backup.keyrings} (default 6, at least 6), {@code
 * keyring.backup.objectKeyrings} (how many of them hold objects, default 3, at least 3) and {@code
 * keyring.backup.objects} (objects in each of those, default 8): {@code
 * -Dkeyring.backup.keyrings=3499 -Dkeyring.backup.objectKeyrings=20 -Dkeyring.backup.objects=256}
 * runs it at the guide's limits (3,499, not 3,500: with the keyring added after the backup,
 * restoring the deleted ones would make 3,501, which a restore refuses before writing anything).
 */
@Timeout(3600)
class BackupRestoreClusterTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  // 16 characters: ten wrong logins lock a keyring with such a password
  private static final String PASSWORD16 = "sixteen-chars-pw";
  private static final String BACKUP_PW = "backup-password-1";
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final int KEYRINGS =
      (int) SystemProperties.wholeNumber("keyring.backup.keyrings", 6, 6, 3_500, "keyrings");
  private static final int OBJECT_KEYRINGS =
      (int) SystemProperties.wholeNumber("keyring.backup.objectKeyrings", 3, 3, 3_500, "keyrings");
  private static final int OBJECTS =
      (int) SystemProperties.wholeNumber("keyring.backup.objects", 8, 1, 256, "objects");

  private static Attributes labelled(String label) {
    return Attributes.builder().objectClass(ObjectClass.DATA).label(label).build();
  }

  private static Attributes data(String label) {
    return Attributes.builder()
        .objectClass(ObjectClass.DATA)
        .label(label)
        .set(AttributeType.CKA_VALUE, label.getBytes(StandardCharsets.UTF_8))
        .build();
  }

  @Test
  void restoreWithTheOthersStopped_thenStartedOneAtATime_convergesOnTheBackup(@TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      for (int from = 1; from <= KEYRINGS; from += 100) {
        h.createKeyrings(0, "app", INITIAL, Math.min(100, KEYRINGS - from + 1), from);
      }
      Path conf = h.registerClient(0, "backup-client", dir.resolve("client/Chrystoki.conf"));
      long filled = System.nanoTime();
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
        for (int k = 1; k <= OBJECT_KEYRINGS; k++) {
          try (KeyringChannel s = client.openSession("app" + k)) {
            String pw = k == 3 ? PASSWORD16 : PASSWORD;
            KeyringSetup.initialize(s, INITIAL, pw);
            s.login(dev.keyring.protocol.Role.KRCO, pw);
            // app1 leaves room for the object added after the backup and one made after the
            // restore: a keyring holds at most 256
            for (int o = 0; o < (k == 1 ? Math.max(1, OBJECTS - 2) : OBJECTS); o++) {
              s.createObject(data("obj-" + k + "-" + o));
            }
          }
        }
      }
      ClusterHarness.State atBackup = h.awaitConverged(SETTLE);
      System.out.printf(
          "backup cluster: %d keyrings, %d with %d objects, filled in %d s%n",
          KEYRINGS, OBJECT_KEYRINGS, OBJECTS, (System.nanoTime() - filled) / 1_000_000_000L);
      long backupStart = System.nanoTime();
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
      System.out.printf(
          "backup cluster: backup of %d keyrings took %d ms%n",
          KEYRINGS, (System.nanoTime() - backupStart) / 1_000_000L);
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
      // objects added to a keyring of the backup, one of its objects destroyed
      long extra;
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app1")) {
        s.login(dev.keyring.protocol.Role.KRCO, PASSWORD);
        extra = s.createObject(data("added-after-backup")).handle();
        KeyringObject gone = s.findObjects(labelled("obj-1-0")).get(0);
        s.destroyObject(gone.handle());
        s.changePassword(PASSWORD, "keyring-password-3"); // a password changed
      }
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app3")) {
        for (int i = 0; i < 10; i++) { // a keyring locked
          try {
            s.login(dev.keyring.protocol.Role.KRCO, "wrong-password");
          } catch (dev.keyring.protocol.HsmException e) {
            // refused, as it should be
          }
        }
        dev.keyring.protocol.HsmException locked =
            org.junit.jupiter.api.Assertions.assertThrows(
                dev.keyring.protocol.HsmException.class,
                () -> s.login(dev.keyring.protocol.Role.KRCO, PASSWORD16));
        assertEquals(
            dev.keyring.protocol.ResultCode.CKR_PIN_LOCKED, locked.code(), locked.getMessage());
      }
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
      long restoreStart = System.nanoTime();
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
      assertTrue(
          restored.out().contains("completed, " + KEYRINGS + "/" + KEYRINGS + " keyrings"),
          restored.toString());
      System.out.printf(
          "backup cluster: restore of %d keyrings took %d ms%n",
          KEYRINGS, (System.nanoTime() - restoreStart) / 1_000_000L);

      for (int i = 1; i <= 2; i++) {
        shown(h, i, "service", "start", "cluster");
        String id = h.localMemberId(i);
        ClusterHarness.await(
            "member " + i + " is authorized (memberActive)", SETTLE, () -> active(h, id));
        shown(h, 0, "cluster", "member", "list");
      }
      h.awaitConverged(SETTLE);
      // what the backup holds is back (objects, password, lock state, deleted keyrings); what it
      // does not hold is untouched: the keyring made after it, and the object added to app1, which
      // keeps its handle (a new object never reuses a handle)
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
        try (KeyringChannel s = client.openSession("app1")) {
          s.login(dev.keyring.protocol.Role.KRCO, PASSWORD); // the backup's password again
          java.util.Set<String> labels = new java.util.TreeSet<>();
          java.util.Set<Long> handles = new java.util.HashSet<>();
          for (KeyringObject o :
              s.findObjects(Attributes.builder().objectClass(ObjectClass.DATA).build())) {
            labels.add(o.attributes().label().orElseThrow());
            handles.add(o.handle());
          }
          java.util.Set<String> expected = new java.util.TreeSet<>();
          for (int o = 0; o < Math.max(1, OBJECTS - 2); o++) {
            expected.add("obj-1-" + o);
          }
          expected.add("added-after-backup");
          assertEquals(expected, labels, "app1: the backup's objects and the one added after it");
          assertEquals(extra, s.findObjects(labelled("added-after-backup")).get(0).handle());
          long fresh = s.createObject(data("made-after-restore")).handle();
          assertTrue(!handles.contains(fresh), "a new object takes a handle no object has");
          s.destroyObject(fresh);
        }
        try (KeyringChannel s = client.openSession("app2")) {
          s.login(dev.keyring.protocol.Role.KRCO, PASSWORD);
          assertEquals(
              OBJECTS,
              s.findObjects(Attributes.builder().objectClass(ObjectClass.DATA).build()).size(),
              "the deleted keyring is back with its objects");
        }
        try (KeyringChannel s = client.openSession("app3")) {
          s.login(dev.keyring.protocol.Role.KRCO, PASSWORD16); // unlocked again, as at the backup
          s.logout();
        }
      }
      assertTrue(shown(h, 0, "keyring", "list").out().contains("late1"), "late1 untouched");
      ClusterHarness.State after = h.awaitConverged(SETTLE);
      assertEquals(KEYRINGS + 1, after.keyrings());
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
    JsonNode members = h.members(0);
    for (JsonNode m : members) {
      if (m.path("memberID").asText().equals(memberId)) {
        return m.path("memberActive").asBoolean() && m.path("authorized").asBoolean();
      }
    }
    return false;
  }
}
