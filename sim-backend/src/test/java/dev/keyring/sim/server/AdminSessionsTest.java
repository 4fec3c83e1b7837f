package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.FakeTicker;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Cookie sessions: 128-bit ids, sliding idle expiry, logout, per-user ending, bounded count. */
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
  void sessionCount_isBounded_leastRecentlyUsedGoesFirst() {
    String first = sessions.open("u0");
    String second = sessions.open("u1");
    sessions.user(first); // first is now more recent than second
    for (int i = 2; i < AdminSessions.MAX_SESSIONS + 1; i++) {
      sessions.open("u" + i);
    }
    assertEquals(AdminSessions.MAX_SESSIONS, sessions.size());
    assertEquals(Optional.of("u0"), sessions.user(first));
    assertEquals(Optional.empty(), sessions.user(second));
  }
}
