package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.MemberState;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.RecoveringChannel;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Routing against a real one-member cluster: the view is fetched and names the registered member,
 * and a member restart is ridden through by the same session handle, with no call from the
 * application (background recovery, then a new physical session logged in again). Every test checks
 * that no session and no connection leaked.
 */
@Timeout(300)
class KeyringClientRoutingTest {
  private static final String KEYRING = "routed";
  private static final String PASSWORD = "keyring-password-2";
  private static final byte[] DATA = "routed message".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private TestMember member;
  private KeyringClient client;

  @AfterEach
  void noLeaks() {
    try {
      if (client != null) {
        client.close();
        assertEquals(0, client.openSessionCount(), "client sessions left open");
        assertEquals(0, client.connectionCount(), "client connections left open");
        assertEquals(0, member.member().openSessions(), "member sessions left open");
      }
    } finally {
      if (member != null) {
        member.close();
      }
    }
  }

  private KeyringClient start() throws Exception {
    return start(TransportOptions.Wire.CHANNEL);
  }

  private KeyringClient start(TransportOptions.Wire wire) throws Exception {
    member = TestMember.start(dir, KEYRING);
    ClusterEntry e = member.issueClient(dir, 0, "routing-client");
    client =
        KeyringClient.open(
            e,
            TransportOptions.builder()
                .wire(wire)
                .connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofSeconds(20))
                .callTimeout(Duration.ofSeconds(30))
                .recoveryInterval(Duration.ofMillis(200))
                .build());
    return client;
  }

  private static KeyringChannel readyAsKrco(KeyringClient c) throws Exception {
    KeyringChannel s = c.openSession(KEYRING);
    s.login(Role.KRSO, TestMember.KEYRING_INITIAL);
    s.changePassword(TestMember.KEYRING_INITIAL, PASSWORD);
    s.initKrco(PASSWORD);
    s.logout();
    s.login(Role.KRCO, PASSWORD);
    return s;
  }

  /** The id of the physical session on the member that opened {@code s}. */
  private static String physicalId(KeyringChannel s) {
    return ((RecoveringChannel) s).id();
  }

  private static MemberState registered(KeyringClient c) {
    List<MemberState> states = c.memberStates();
    assertEquals(1, states.size(), states.toString());
    assertTrue(states.get(0).registered());
    return states.get(0);
  }

  /** Waits until the background recovery brings the member back; no call is made meanwhile. */
  private static void awaitRecovery(KeyringClient c) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!registered(c).up()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the member never came back: " + c.memberStates());
      }
      Thread.sleep(50);
    }
  }

  private static boolean signs(KeyringChannel s, KeyringKeyPair kp) throws Exception {
    byte[] sig =
        s.sign(kp.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(kp.publicKey().toPublicKey());
    v.update(DATA);
    return v.verify(sig);
  }

  @Test
  void firstCall_fetchesTheClusterView_whichNamesTheRegisteredMember() throws Exception {
    KeyringClient c = start();
    assertEquals(-1, c.viewVersion(), "nothing is fetched before the first call");
    assertNull(registered(c).memberId());

    assertTrue(c.slots().stream().anyMatch(s -> s.label().equals(KEYRING)));
    assertTrue(c.viewVersion() >= 1);
    MemberState m = registered(c);
    assertNotNull(m.memberId());
    assertEquals(member.serverCn(), m.name());
    assertEquals("127.0.0.1:" + member.cryptoPort(), m.server());
    assertNotNull(m.group());
    assertTrue(m.primary());
    assertFalse(m.readOnly());
    assertTrue(m.up());
    assertEquals(1, m.completed(), "the slots call; the view fetch is not counted");
    assertEquals(0, m.outstanding());

    try (KeyringChannel s = readyAsKrco(c)) {
      assertTrue(s.isLoggedIn());
      assertFalse(s.toString().contains(PASSWORD), s.toString());
      KeyringKeyPair kp =
          s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      assertTrue(signs(s, kp));
      MemberState after = registered(c);
      assertEquals(1, after.sessions(), "one physical session for the one logical session");
      assertEquals(
          1 + 6 + 1 + 1, after.completed(), "slots, open and 5 login-flow calls, generate, sign");
    }
    assertEquals(0, registered(c).sessions());
  }

  @Test
  void memberRestart_theSameSessionHandleSignsAgain_withoutAnyCallFromTheApplication()
      throws Exception {
    KeyringClient c = start();
    KeyringChannel s = readyAsKrco(c);
    KeyringKeyPair kp =
        s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
    assertTrue(signs(s, kp));
    String before = physicalId(s);

    member.stop();
    TransportException down = assertThrows(TransportException.class, () -> signs(s, kp));
    assertTrue(down.getMessage().contains("no member of cluster"), down.getMessage());
    assertFalse(registered(c).up(), "the member is marked down");
    TransportException stillDown = assertThrows(TransportException.class, () -> signs(s, kp));
    assertEquals(TransportException.Kind.CONNECT, stillDown.kind(), "no traffic to a down member");

    member.restart();
    awaitRecovery(c);
    assertTrue(signs(s, kp), "the same handle signs: a new physical session, logged in again");
    assertTrue(s.isOpen());
    assertFalse(before.equals(physicalId(s)), "the restarted member knows a new session id");
    assertEquals(1, member.member().openSessions(), "the new session only");
    assertEquals(1, registered(c).sessions());
    s.close();
  }

  @Test
  void afterLogout_aRestartedMemberIsNotLoggedInAgain() throws Exception {
    KeyringClient c = start();
    try (KeyringChannel s = readyAsKrco(c)) {
      assertEquals(32, s.random(32).length);
      s.logout();
      assertFalse(s.isLoggedIn());
      member.restart();
      HsmException e =
          assertThrows(
              HsmException.class,
              () -> {
                // a broken pooled connection may fail the first attempt: the call is then failed
                // over and the member comes back through recovery
                try {
                  s.random(32);
                } catch (TransportException t) {
                  awaitRecovery(c);
                  s.random(32);
                }
              });
      assertEquals(ResultCode.CKR_USER_NOT_LOGGED_IN, e.code(), e.getMessage());
    }
  }

  @Test
  void overHttp_aWriteRightAfterTheMemberRestarted_isNotSentOnTheClosedPooledConnection()
      throws Exception {
    KeyringClient c = start(TransportOptions.Wire.HTTP);
    try (KeyringChannel s = readyAsKrco(c)) {
      s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      member.restart(); // the stopped member closed the client's pooled HTTP/1.1 connection
      // the first call after the restart is a write: sent on the closed connection, it would be
      // cut off and end uncertain ("may or may not have happened"); it goes over a fresh one
      KeyringKeyPair kp =
          s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      assertTrue(signs(s, kp));
      assertTrue(registered(c).up(), "the member was never marked down");
    }
  }

  @ParameterizedTest
  @EnumSource(TransportOptions.Wire.class)
  void anInterruptedCaller_failsWithInterrupted_andLeavesTheMemberUp(TransportOptions.Wire wire)
      throws Exception {
    KeyringClient c = start(wire);
    try (KeyringChannel s = readyAsKrco(c)) {
      KeyringKeyPair kp =
          s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      Thread.currentThread().interrupt();
      TransportException e;
      try {
        e = assertThrows(TransportException.class, () -> signs(s, kp));
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
      } finally {
        Thread.interrupted();
      }
      assertEquals(TransportException.Kind.INTERRUPTED, e.kind(), e.toString());
      assertFalse(e.requestSent(), "interrupted before the request left");
      assertTrue(registered(c).up(), "the member is not marked down for it");
      assertEquals(0, registered(c).outstanding());
      assertTrue(signs(s, kp), "the next call is served at once");
      assertEquals(1, registered(c).sessions(), "the same physical session");
    }
  }
}
