package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Cookie sessions: 128-bit ids, sliding idle expiry, logout, per-user ending, a bounded count per
 * user that never touches another user's sessions.
 */
class AdminSessionsTest {
  private final FakeTicker ticker = new FakeTicker();
  private final AdminSessions sessions = new AdminSessions(Duration.ofMinutes(10), ticker);

  private void advance(Duration d) {
    ticker.advance(d);
  }

  @Test
  void session_idsAreRandom128BitHex() {
    String a = sessions.open("admin");
    String b = sessions.open("admin");
    assertTrue(a.matches("[0-9a-f]{32}"), a);
    assertNotEquals(a, b);
  }

  @Test
  void session_expiresAfterTenIdleMinutes_andEveryUseRestartsTheClock() {
    String id = sessions.open("admin");
    advance(Duration.ofMinutes(9));
    assertEquals(Optional.of("admin"), sessions.user(id));
    advance(Duration.ofMinutes(9));
    assertEquals(Optional.of("admin"), sessions.user(id), "used 9 min ago");
    advance(Duration.ofMinutes(10).plusSeconds(1));
    assertEquals(Optional.empty(), sessions.user(id));
    assertEquals(Optional.empty(), sessions.user(id), "stays expired");
  }

  @Test
  void logout_andUserChanges_endSessions() {
    String a = sessions.open("alice");
    String b = sessions.open("alice");
    String c = sessions.open("bob");
    assertTrue(sessions.close(a));
    assertFalse(sessions.close(a));
    assertEquals(Optional.empty(), sessions.user(a));
    sessions.closeUser("alice");
    assertEquals(Optional.empty(), sessions.user(b));
    assertEquals(Optional.of("bob"), sessions.user(c));
  }

  @Test
  void unknownOrMalformedIds_findNothing() {
    sessions.open("admin");
    assertEquals(Optional.empty(), sessions.user(null));
    assertEquals(Optional.empty(), sessions.user(""));
    assertEquals(Optional.empty(), sessions.user("0".repeat(32)));
    assertEquals(Optional.empty(), sessions.user("x".repeat(1000)));
  }

  @Test
  void sessionCountPerUser_isBounded_thatUsersLeastRecentlyUsedGoesFirst() {
    String first = sessions.open("u0");
    String second = sessions.open("u0");
    sessions.user(first); // first is now more recent than second
    for (int i = 2; i < AdminSessions.MAX_SESSIONS_PER_USER + 1; i++) {
      sessions.open("u0");
    }
    assertEquals(AdminSessions.MAX_SESSIONS_PER_USER, sessions.size());
    assertEquals(AdminSessions.MAX_SESSIONS_PER_USER, sessions.count("u0"));
    assertEquals(Optional.of("u0"), sessions.user(first));
    assertEquals(Optional.empty(), sessions.user(second));
  }

  @Test
  void oneUsersLogins_neverEndAnotherUsersSession() {
    String admin = sessions.open("admin");
    String otherMonitor = sessions.open("watcher");
    List<String> monitor = new ArrayList<>();
    for (int i = 0; i < 1030; i++) {
      monitor.add(sessions.open("monitor"));
      advance(Duration.ofMillis(1));
    }
    assertEquals(Optional.of("admin"), sessions.user(admin));
    assertEquals(Optional.of("watcher"), sessions.user(otherMonitor));
    assertEquals(AdminSessions.MAX_SESSIONS_PER_USER, sessions.count("monitor"));
    assertEquals(AdminSessions.MAX_SESSIONS_PER_USER + 2, sessions.size());
    // the monitor's newest logins are the ones kept
    for (String id : monitor.subList(0, monitor.size() - AdminSessions.MAX_SESSIONS_PER_USER)) {
      assertEquals(Optional.empty(), sessions.user(id));
    }
    for (String id : monitor.subList(monitor.size() - AdminSessions.MAX_SESSIONS_PER_USER, 1030)) {
      assertEquals(Optional.of("monitor"), sessions.user(id));
    }
  }

  @Test
  void perUserCount_followsLogoutExpiryAndUserChanges() {
    String a = sessions.open("alice");
    sessions.open("alice");
    sessions.open("bob");
    assertEquals(2, sessions.count("alice"));
    assertTrue(sessions.close(a));
    assertEquals(1, sessions.count("alice"));
    sessions.closeUser("alice");
    assertEquals(0, sessions.count("alice"));
    advance(Duration.ofMinutes(11));
    for (int i = 0; i < AdminSessions.MAX_SESSIONS_PER_USER; i++) {
      sessions.open("alice"); // the sweep ended bob's expired session
    }
    assertEquals(0, sessions.count("bob"));
    assertEquals(AdminSessions.MAX_SESSIONS_PER_USER, sessions.size());
  }
}
