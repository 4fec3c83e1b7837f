package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.SessionInfo;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.internal.transport.ChannelMemberChannel;
import dev.keyring.client.internal.transport.MemberTransports;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.testing.cluster.FaultProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A channel connection that goes silent (a fault proxy that forwards nothing any more, as a paused
 * member or a dead network path would): the heartbeat finds it and fails the request under way with
 * IO; without a heartbeat in time, the call timeout ends the request, also when part of its answer
 * came (a caller reading its own answer never waits in a read). Neither resends anything.
 */
@Timeout(300)
class ChannelWireFailuresTest {
  private static final String KEYRING = "silent";

  @TempDir Path dir;
  private TestMember member;
  private FaultProxy proxy;
  private ChannelMemberChannel channel;
  private String session;
  private MemberTransports transports;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.close();
      if (session != null) {
        // the session is closed straight at the member, past the proxy
        ChannelMemberChannel direct =
            transports.openChannel(
                "127.0.0.1", member.member().channelPort(), member.serverCn(), "member");
        try {
          direct.closeSession(session);
        } finally {
          direct.close();
        }
        assertEquals(0, member.member().openSessions(), "member sessions left open");
      }
    }
    if (proxy != null) {
      proxy.close();
    }
    if (member != null) {
      member.close();
    }
  }

  /** {@link #start(TransportOptions)} on the channel wire with these two settings. */
  private String start(Duration heartbeatInterval, Duration callTimeout) throws Exception {
    return start(
        TransportOptions.builder()
            .wire(TransportOptions.Wire.CHANNEL)
            .heartbeatInterval(heartbeatInterval)
            .callTimeout(callTimeout)
            .build());
  }

  /** A channel to the member through a proxy, with an open session; the session's id. */
  private String start(TransportOptions options) throws Exception {
    member = TestMember.startWithChannelPort(dir, 0, KEYRING);
    ClusterEntry e = member.issueClient(dir, 0, "silent-client");
    proxy = FaultProxy.start("127.0.0.1", member.member().channelPort());
    transports = MemberTransports.load(e, options);
    channel =
        transports.openChannel(
            "127.0.0.1", proxy.port(), member.serverCn(), "member behind a proxy");
    SessionInfo s = channel.openSession(KEYRING);
    session = s.sessionId();
    return session;
  }

  private TransportException signIntoTheVoid(String session) {
    assertTrue(channel.connected());
    proxy.blackhole();
    return assertThrows(
        TransportException.class,
        () ->
            channel.sign(
                session, 1, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, new byte[] {1}));
  }

  @Test
  void silentConnection_isFoundByTheHeartbeat_andTheRequestFailsWithIo() throws Exception {
    String session = start(Duration.ofMillis(300), Duration.ofMinutes(4));
    TransportException e = signIntoTheVoid(session);
    assertEquals(TransportException.Kind.IO, e.kind(), e.toString());
    assertTrue(e.requestSent());
    assertTrue(e.transientFailure(), "another connection may do better");
    assertTrue(e.getMessage().contains("no answer to a heartbeat"), e.getMessage());
    assertFalse(channel.connected(), "the silent connection was closed");
  }

  @Test
  void noAnswerWithinTheCallTimeout_failsWithIo_notTransient() throws Exception {
    String session = start(Duration.ofHours(1), Duration.ofSeconds(1));
    TransportException e = signIntoTheVoid(session);
    assertEquals(TransportException.Kind.IO, e.kind(), e.toString());
    assertTrue(e.requestSent());
    assertFalse(e.transientFailure(), "an expired call deadline, as over HTTP");
    assertTrue(e.getMessage().contains("got no answer within 1000 ms"), e.getMessage());
  }

  @Test
  @Timeout(60)
  void anAnswerCutShort_holdsItsCallerNoLongerThanTheCallTimeout() throws Exception {
    String session = start(Duration.ofHours(1), Duration.ofSeconds(1));
    for (int i = 0; i < 20; i++) { // calls one after another: each caller reads its own answer
      channel.slots();
    }
    proxy.cutShortDown(8); // the next answer: its TLS record's header and 3 bytes, then nothing
    TransportException e =
        assertThrows(
            TransportException.class,
            () ->
                channel.sign(
                    session, 1, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, new byte[] {1}));
    assertEquals(TransportException.Kind.IO, e.kind(), e.toString());
    assertTrue(e.requestSent());
    assertTrue(e.getMessage().contains("got no answer within 1000 ms"), e.getMessage());
  }

  @Test
  void interruptedCaller_failsWithInterrupted_andTheConnectionServesTheNextCall() throws Exception {
    String session = start(Duration.ofHours(1), Duration.ofMinutes(4));
    assertTrue(channel.connected());
    proxy.delay(Duration.ofSeconds(2));
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                channel.slots();
              } catch (Throwable t) {
                failure.set(t);
              }
            });
    caller.start();
    // parked for its answer: the request is written, its answer at least 4 s off (2 s each way)
    for (int i = 0; i < 1_000 && caller.getState() != Thread.State.TIMED_WAITING; i++) {
      Thread.sleep(10);
    }
    assertEquals(Thread.State.TIMED_WAITING, caller.getState(), "the caller waits its answer");
    caller.interrupt();
    caller.join(30_000);
    TransportException e = (TransportException) failure.get();
    assertEquals(TransportException.Kind.INTERRUPTED, e.kind(), e.toString());
    assertTrue(e.requestSent());
    assertFalse(e.transientFailure());
    assertTrue(channel.connected(), "an interrupt says nothing of the connection");
    proxy.restore();
    assertTrue(
        channel.slots().stream().anyMatch(x -> x.label().equals(KEYRING)),
        "the same connection answers");
  }

  @Test
  @Timeout(60)
  void aSessionOpenedAfterItsCallGaveUp_isClosedOnTheMember() throws Exception {
    start(Duration.ofHours(1), Duration.ofMillis(500));
    assertEquals(1, member.member().openSessions(), "the test's own session");
    proxy.delay(Duration.ofSeconds(1)); // each way: the member opens it after the call gave up
    TransportException e =
        assertThrows(TransportException.class, () -> channel.openSession(KEYRING));
    assertEquals(TransportException.Kind.IO, e.kind(), e.toString());
    assertTrue(e.getMessage().contains("got no answer within 500 ms"), e.getMessage());
    assertEquals(2, sessionsOnceThey(2), "the member opened the session after the call gave up");
    // its late answer names the session; the connection closes it (through the delay as well)
    assertEquals(1, sessionsOnceThey(1), "the session nobody learned of is closed at once");
    proxy.restore();
    assertTrue(channel.connected(), "a late answer says nothing of the connection");
  }

  /** The member's open sessions once they are {@code n}, or after 15 s. */
  private int sessionsOnceThey(int n) throws InterruptedException {
    int open = member.member().openSessions();
    for (int i = 0; i < 1_500 && open != n; i++) {
      Thread.sleep(10);
      open = member.member().openSessions();
    }
    return open;
  }
}
