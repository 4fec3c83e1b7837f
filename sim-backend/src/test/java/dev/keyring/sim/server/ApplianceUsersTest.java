package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import dev.keyring.testing.FakeTicker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Appliance users: first start, verifiers only, roles, disabled built-ins, lockout. */
class ApplianceUsersTest {
  @TempDir Path dir;
  private KeyringStore store;
  private final PasswordHasher hasher = new PasswordHasher(PasswordHasher.MIN_ITERATIONS);
  private final FakeTicker ticker = new FakeTicker();

  @BeforeEach
  void open() {
    store = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private ApplianceUsers users(String initial) {
    return ApplianceUsers.open(store, hasher, dir, initial, ticker);
  }

  @Test
  void firstStart_withoutAPassword_writesARandomOneToAnOwnerOnlyFile() throws Exception {
    users(null);
    Path file = dir.resolve(ApplianceUsers.INITIAL_PASSWORD_FILE);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String password = Files.readString(file, StandardCharsets.UTF_8).strip();
    assertTrue(password.length() >= 20, "random password of " + password.length() + " chars");
    // the next start finds the users and does not rewrite the file
    Files.delete(file);
    ApplianceUsers again = users(null);
    assertFalse(Files.exists(file));
    assertEquals(ApplianceRole.ADMIN, again.authenticate("admin", password).role());
    // only a verifier is stored
    String stored =
        new String(store.hsmState(ApplianceUsers.STATE_KEY).orElseThrow(), StandardCharsets.UTF_8);
    assertFalse(stored.contains(password));
    assertTrue(stored.contains("pbkdf2-sha256$"));
  }

  @Test
  void firstStart_withAConfiguredPassword_writesNoFile_andBuiltInsAreDisabled() {
    ApplianceUsers u = users("admin-password-1");
    assertFalse(Files.exists(dir.resolve(ApplianceUsers.INITIAL_PASSWORD_FILE)));
    assertEquals(ApplianceRole.ADMIN, u.authenticate("admin", "admin-password-1").role());
    ApiError disabled =
        assertThrows(ApiError.class, () -> u.authenticate("operator", "anything-1"));
    assertEquals(401, disabled.status);
    assertTrue(disabled.getMessage().contains("disabled"));
    u.setPassword("operator", "operator-pw-1");
    assertEquals(ApplianceRole.OPERATOR, u.authenticate("operator", "operator-pw-1").role());
    assertEquals(3, u.list().size());
  }

  @Test
  void aPasswordChangedByAnotherSessionAfterTheCheck_isKept_andTheLaterChangeRefused() {
    ApplianceUsers u = users("admin-password-1");
    u.setPassword("operator", "operator-pw-1");
    String checked = u.requirePassword("operator", "operator-pw-1");
    u.setPassword("operator", "changed-first-1"); // another session, meanwhile
    ApiError e =
        assertThrows(ApiError.class, () -> u.setPassword("operator", "changed-later-2", checked));
    assertEquals(409, e.status);
    assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
    assertEquals(ApplianceRole.OPERATOR, u.authenticate("operator", "changed-first-1").role());
    // checked against the current one, the change is made
    String now = u.requirePassword("operator", "changed-first-1");
    u.setPassword("operator", "changed-later-2", now);
    assertEquals(ApplianceRole.OPERATOR, u.authenticate("operator", "changed-later-2").role());
  }

  @Test
  void initialPassword_mustMeetThePasswordRules() {
    assertThrows(HsmException.class, () -> users("short"));
  }

  @Test
  void inACluster_theReplicatedUsersAreRead_andInvalidOnesAreRefused_keepingTheUsersAsTheyWere()
      throws Exception {
    ApplianceUsers u = users("admin-password-1");
    store.write(tx -> tx.createCluster(java.util.UUID.randomUUID(), "c"));
    u.add("alice", ApplianceRole.OPERATOR, "alice-password-1");
    assertTrue(
        store.clusterValue(ApplianceUsers.STATE_KEY).isPresent(), "written as cluster state");

    // another member's change arrives: alice removed
    var tree =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(store.clusterValue(ApplianceUsers.STATE_KEY).orElseThrow());
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("users")).remove("alice");
    byte[] withoutAlice = tree.toString().getBytes(StandardCharsets.UTF_8);
    store.write(
        tx -> {
          tx.putClusterValue(ApplianceUsers.STATE_KEY, withoutAlice);
          return null;
        });
    assertEquals(java.util.Set.of("alice"), u.reload());
    assertEquals(
        401,
        assertThrows(ApiError.class, () -> u.authenticate("alice", "alice-password-1")).status);

    // a value that would disable admin is refused: the users stay as they were
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("users").get("admin"))
        .putNull("verifier");
    byte[] adminDisabled = tree.toString().getBytes(StandardCharsets.UTF_8);
    store.write(
        tx -> {
          tx.putClusterValue(ApplianceUsers.STATE_KEY, adminDisabled);
          return null;
        });
    assertEquals(java.util.Set.of(), u.reload());
    assertEquals(ApplianceRole.ADMIN, u.authenticate("admin", "admin-password-1").role());
  }

  @Test
  void tenConsecutiveFailures_lockTheUserForSixtySeconds_thenItMayTryAgain() {
    ApplianceUsers u = users("admin-password-1");
    for (int i = 1; i < ApplianceUsers.LOCKOUT_THRESHOLD; i++) {
      assertEquals(
          401, assertThrows(ApiError.class, () -> u.authenticate("admin", "nope-nope")).status);
    }
    ApiError tenth = assertThrows(ApiError.class, () -> u.authenticate("admin", "nope-nope"));
    assertEquals(429, tenth.status);
    assertEquals("60", tenth.headers.get("Retry-After"));
    ticker.advance(Duration.ofSeconds(30));
    ApiError still =
        assertThrows(ApiError.class, () -> u.authenticate("admin", "admin-password-1"));
    assertEquals(429, still.status);
    assertEquals("30", still.headers.get("Retry-After"));
    ticker.advance(Duration.ofSeconds(31));
    assertEquals("admin", u.authenticate("admin", "admin-password-1").user());
  }

  @Test
  void aSuccess_resetsTheCount() {
    ApplianceUsers u = users("admin-password-1");
    for (int round = 0; round < 3; round++) {
      for (int i = 1; i < ApplianceUsers.LOCKOUT_THRESHOLD; i++) {
        assertThrows(ApiError.class, () -> u.authenticate("admin", "nope-nope"));
      }
      u.authenticate("admin", "admin-password-1");
    }
  }

  @Test
  void customUsers_areAddedAndDeleted_builtInsStay() {
    ApplianceUsers u = users("admin-password-1");
    u.add("watcher", ApplianceRole.MONITOR, "watcher-pw-1");
    assertEquals(ApplianceRole.MONITOR, u.authenticate("watcher", "watcher-pw-1").role());
    assertEquals(
        409,
        assertThrows(ApiError.class, () -> u.add("watcher", ApplianceRole.ADMIN, "xxxxxxx1"))
            .status);
    assertEquals(
        400,
        assertThrows(ApiError.class, () -> u.add("Bad Name", ApplianceRole.ADMIN, "xxxxxxx1"))
            .status);
    assertEquals(409, assertThrows(ApiError.class, () -> u.delete("monitor")).status);
    u.delete("watcher");
    assertEquals(
        401, assertThrows(ApiError.class, () -> u.authenticate("watcher", "watcher-pw-1")).status);
    // reopened from the store
    ApplianceUsers again = users("ignored-on-later-starts");
    assertEquals(ApplianceRole.ADMIN, again.authenticate("admin", "admin-password-1").role());
    assertTrue(again.get("watcher").isEmpty());
  }
}
