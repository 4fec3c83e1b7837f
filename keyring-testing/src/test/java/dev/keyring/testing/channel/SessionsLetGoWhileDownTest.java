package dev.keyring.testing.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.protocol.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A physical session that the client lets go while routing has its member marked down (the logical
 * session closed or logged out meanwhile) is closed on that member when a probe finds it back, not
 * left open there, logged in, until the member's idle timeout.
 */
class SessionsLetGoWhileDownTest {
  private static final String PASSWORD = "app-password-1";

  private final FakeCluster cluster = new FakeCluster(2);
  private final FakeMember m1 = cluster.member(0);
  private final FakeMember m2 = cluster.member(1);

  /** A logged-in channel whose session on m1 is left behind: m1 went down, m2 serves. */
  private KeyringChannel servedByM2WhileM1IsDown() throws Exception {
    cluster.createKeyring("app", PASSWORD);
    KeyringChannel ch = cluster.openChannel("app");
    ch.login(Role.KRCO, PASSWORD);
    m1.down();
    assertEquals(16, ch.random(16).length);
    assertFalse(cluster.router().isUp(m1), "m1 is marked down");
    assertEquals(1, m1.openSessions(), "m1 still holds the session it opened");
    assertEquals(1, m2.openSessions());
    return ch;
  }

  private void m1AnswersAProbe() {
    m1.up();
    assertTrue(cluster.router().probeDownMembers(List.of()));
    assertTrue(cluster.router().isUp(m1));
  }

  @Test
  void aSessionClosedWhileItsMemberIsDown_isClosedThereWhenTheMemberIsBack() throws Exception {
    KeyringChannel ch = servedByM2WhileM1IsDown();
    ch.close();
    assertEquals(0, m2.openSessions());
    assertEquals(1, m1.openSessions(), "nothing can reach m1 yet");
    m1AnswersAProbe();
    assertEquals(0, m1.openSessions(), "closed on m1 once it answered");
    assertEquals(0, cluster.router().routedSessions());
    assertEquals(0, cluster.router().outstanding());
  }

  @Test
  void aLogoutWhileAMemberIsDown_closesTheSessionThereWhenTheMemberIsBack() throws Exception {
    KeyringChannel ch = servedByM2WhileM1IsDown();
    ch.logout();
    assertFalse(ch.isLoggedIn());
    assertEquals(1, m1.openSessions(), "still logged in on m1, which nothing can reach yet");
    m1AnswersAProbe();
    assertEquals(0, m1.openSessions(), "closed, so logged out, on m1 once it answered");
    ch.close();
    assertEquals(0, cluster.openSessions());
  }

  @Test
  void aMemberThatLostItsSessionsMeanwhile_isAskedOnce_andThatIsEnough() throws Exception {
    KeyringChannel ch = servedByM2WhileM1IsDown();
    ch.close();
    m1.loseSessions(); // restarted while down
    m1AnswersAProbe();
    assertEquals(1, m1.calls("closeSession"), "asked once; it no longer knew the session");
    assertEquals(0, cluster.openSessions());
  }
}
