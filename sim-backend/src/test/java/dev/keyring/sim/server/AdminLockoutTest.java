package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import dev.keyring.testing.FakeTicker;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lockout of appliance users per user and source address, with a global bound (issue 12, F10 and
 * F12): one source cannot keep {@code admin} locked out for the others, and the current password
 * given to change one's own counts like a login.
 */
class AdminLockoutTest {
  private static final String PW = "admin-password-1";
  private static final String ATTACKER = "203.0.113.7";
  private static final String OPERATOR_DESK = "198.51.100.20";

  @TempDir Path dir;
  private KeyringStore store;
  private final FakeTicker ticker = new FakeTicker();
  private ApplianceUsers users;

  @BeforeEach
  void open() {
    store = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")));
    users =
        ApplianceUsers.open(
            store, new PasswordHasher(PasswordHasher.MIN_ITERATIONS), dir, PW, ticker);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private int attempt(String password, String source) {
    try {
      users.authenticate("admin", password, source);
      return 200;
    } catch (ApiError e) {
      return e.status;
    }
  }

  @Test
  void tenWrongPasswordsFromOneSource_lockAdminFromThatSourceOnly() {
    for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
      assertEquals(401, attempt("wrong-password", ATTACKER));
    }
    assertEquals(429, attempt("wrong-password", ATTACKER));
    assertEquals(429, attempt(PW, ATTACKER), "locked from the attacker's address, right or wrong");

    assertEquals(200, attempt(PW, OPERATOR_DESK), "the admin logs in from elsewhere");

    ticker.advance(AdminLockout.DURATION.plusSeconds(1));
    assertEquals(200, attempt(PW, ATTACKER));
  }

  @Test
  void anAttackerRepeatingEveryMinute_neverLocksAdminOutOfAnotherSource() {
    for (int minute = 0; minute < 5; minute++) {
      for (int i = 0; i < AdminLockout.THRESHOLD; i++) {
        attempt("wrong-password", ATTACKER);
      }
      assertEquals(200, attempt(PW, OPERATOR_DESK), "minute " + minute);
      ticker.advance(AdminLockout.DURATION);
    }
  }

  @Test
  void guessingSpreadOverManySources_locksTheUserEverywhere_untilTheWindowEnds() {
    int sources = AdminLockout.GLOBAL_LIMIT / (AdminLockout.THRESHOLD - 1) + 1;
    int failures = 0;
    ApiError last = null;
    for (int s = 0; s < sources && last == null; s++) {
      for (int i = 0; i < AdminLockout.THRESHOLD - 1 && last == null; i++) {
        try {
          users.authenticate("admin", "wrong-password", "192.0.2." + s);
        } catch (ApiError e) {
          failures++;
          if (e.status == 429) {
            last = e;
          }
        }
      }
    }
    assertEquals(AdminLockout.GLOBAL_LIMIT, failures);
    assertTrue(last.getMessage().contains("from all addresses"), last.getMessage());
    assertEquals(429, attempt(PW, OPERATOR_DESK), "the global bound holds for every source");

    ticker.advance(AdminLockout.DURATION);
    assertEquals(200, attempt(PW, OPERATOR_DESK));
  }

  @Test
  void wrongCurrentPassword_whenChangingOnesOwn_countsTowardsTheLockout() {
    for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
      ApiError e =
          assertThrows(
              ApiError.class, () -> users.requirePassword("admin", "wrong-password", ATTACKER));
      assertEquals(403, e.status);
    }
    ApiError tenth =
        assertThrows(
            ApiError.class, () -> users.requirePassword("admin", "wrong-password", ATTACKER));
    assertEquals(429, tenth.status);
    assertEquals(429, attempt(PW, ATTACKER), "logins from there are locked too");
    ApiError locked =
        assertThrows(ApiError.class, () -> users.requirePassword("admin", PW, ATTACKER));
    assertEquals(429, locked.status, "so is the right current password");

    ticker.advance(Duration.ofSeconds(61));
    users.requirePassword("admin", PW, ATTACKER);
  }

  @Test
  void failuresAndSuccesses_mixedUnderThreshold_neverLock() {
    for (int round = 0; round < 5; round++) {
      for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
        users.requirePassword("admin", PW, ATTACKER);
        assertEquals(401, attempt("wrong-password", ATTACKER));
      }
      assertEquals(200, attempt(PW, ATTACKER));
    }
  }
}
