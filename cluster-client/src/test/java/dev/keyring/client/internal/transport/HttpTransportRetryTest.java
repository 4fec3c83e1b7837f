package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.CallKind;
import dev.keyring.client.channel.RecoveringChannel;
import dev.keyring.client.internal.transport.FakeFlakyServer.Step;
import dev.keyring.client.testing.FixedRouter;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CryptoMessages;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One attempt per call in {@link HttpTransport}, what its failures say, its answer mapping, and the
 * repeats the recovering channel makes over it ({@link CallKind}), against a fake HTTP server.
 */
@Timeout(30)
class HttpTransportRetryTest {
  private static final CryptoMessages.RandomRequest BODY = new CryptoMessages.RandomRequest(1);

  private static HttpTransport transport(int port, TransportOptions options) {
    return HttpTransport.plainForTests(
        new HttpUrl.Builder().scheme("http").host("127.0.0.1").port(port).build(), options);
  }

  private static HttpTransport transport(int port) {
    return transport(port, TransportOptions.builder().readTimeout(Duration.ofSeconds(5)).build());
  }

  /** Runs {@code call} on {@code t} as the recovering channel runs a call of {@code kind}. */
  private static <T> T recovering(
      HttpTransport t, CallKind kind, RecoveringChannel.WireCall<T> call)
      throws TransportException {
    FixedRouter router =
        new FixedRouter(new FixedRouter.Member(t.name(), new HttpMemberChannel(t)));
    return RecoveringChannel.call(router, kind, "test call", call);
  }

  private static TransportException onlyFailure(TransportException noMember) {
    assertEquals(1, noMember.getSuppressed().length, noMember.toString());
    return (TransportException) noMember.getSuppressed()[0];
  }

  @Test
  void brokenConnection_endsTheCall_sayingTheRequestWasSent_andTheNextCallGoesOverAFreshOne()
      throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.drop());
        HttpTransport t = transport(server.port())) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () -> t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions", "s", "sign"));
      assertEquals(TransportException.Kind.IO, e.kind(), e.getMessage());
      assertTrue(e.requestSent());
      assertTrue(e.transientFailure());
      assertEquals(0, e.getSuppressed().length);
      assertEquals(1, server.requests(), "one attempt");
      t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions", "s", "sign");
      assertEquals(2, server.connections());
    }
  }

  @Test
  void healthyPooledConnection_passesTheCheck_andIsReused() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer();
        HttpTransport t = transport(server.port())) {
      for (int i = 0; i < 3; i++) {
        t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions", "s", "sign");
      }
      assertEquals(3, server.requests());
      assertEquals(1, server.connections(), "one connection, taken from the pool twice");
    }
  }

  @Test
  void write_onAPooledConnectionTheServerClosed_goesOutOnce_overAFreshConnection()
      throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.answerThenClose());
        HttpTransport t = transport(server.port())) {
      t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions", "s", "sign");
      long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (server.openConnections() > 0 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(0, server.openConnections(), "the server closed the connection it answered on");
      assertEquals(1, t.idleConnectionCount(), "the client still pools it");
      // a member process started again takes longer than this: the check then reads
      Thread.sleep(PooledConnectionCheck.IDLE_CHECK.toMillis() + 100);
      // a write: cut off on the closed connection, it would end uncertain; it is not sent on it
      byte[] r =
          recovering(
              t, CallKind.WRITE, c -> c.random("s", 1)); // any call of the write kind will do
      assertArrayEquals(new byte[] {1}, r);
      assertEquals(2, server.requests(), "each request reached the server once");
      assertEquals(2, server.connections(), "the second over a fresh connection");
    }
  }

  @Test
  void bytesSentOnAnIdleConnection_markItClosed_withoutARead() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        java.net.Socket s = NoDelaySocketFactory.INSTANCE.createSocket()) {
      s.connect(server.getLocalSocketAddress());
      try (java.net.Socket peer = server.accept()) {
        assertNull(PooledConnectionCheck.closedByPeer(s, false));
        peer.getOutputStream().write(21); // as a TLS alert record starts: a close_notify
        peer.getOutputStream().flush();
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (s.getInputStream().available() == 0 && System.nanoTime() < until) {
          Thread.sleep(5);
        }
        assertEquals("it sent bytes while idle", PooledConnectionCheck.closedByPeer(s, false));
      }
    }
  }

  @Test
  void closedPooledConnection_isReportedAsClosedByThePeer() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.answerThenClose());
        java.net.Socket s = NoDelaySocketFactory.INSTANCE.createSocket()) {
      s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
      assertNull(PooledConnectionCheck.closedByPeer(s, true), "open, nothing to read: not closed");
      s.getOutputStream()
          .write(
              "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (server.openConnections() > 0 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      // the whole answer, up to its body's last byte; the end of the stream after it stays unread
      StringBuilder answer = new StringBuilder();
      while (answer.length() == 0 || answer.charAt(answer.length() - 1) != '}') {
        int b = s.getInputStream().read();
        assertTrue(b >= 0, "the answer was cut short: " + answer);
        answer.append((char) b);
      }
      assertNull(
          PooledConnectionCheck.closedByPeer(s, false),
          "the end of the stream alone holds no byte: only the read finds it");
      assertEquals("end of stream", PooledConnectionCheck.closedByPeer(s, true));
      s.setSoTimeout(1000);
      assertEquals(-1, s.getInputStream().read(), "the socket reads blocking again after it");
    }
  }

  @Test
  void repeatableCall_whoseConnectionBreaksAfterSending_isRepeatedOnceOnAFreshConnection()
      throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.drop());
        HttpTransport t = transport(server.port())) {
      byte[] r = recovering(t, CallKind.READ_REPEATABLE, c -> c.random("s", 1));
      assertArrayEquals(new byte[] {1}, r);
      assertEquals(2, server.requests());
      assertEquals(2, server.connections(), "the repeat went over a new connection");
    }
  }

  @Test
  void write_whoseConnectionBreaksAfterSending_isNotRepeated() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.drop());
        HttpTransport t = transport(server.port())) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () ->
                  recovering(
                      t, CallKind.WRITE, c -> c.generateKey("s", KeyGenParams.aes(256), null)));
      assertEquals(TransportException.Kind.IO, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("may or may not have happened"), e.getMessage());
      assertEquals(0, e.getSuppressed().length);
      assertEquals(1, server.requests());
    }
  }

  @Test
  void repeatableCall_failingTwice_reportsTheFirstFailureAsSuppressed() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.drop(), Step.drop());
        HttpTransport t = transport(server.port())) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () -> recovering(t, CallKind.READ_REPEATABLE, c -> c.random("s", 1)));
      assertEquals(1, onlyFailure(e).getSuppressed().length);
      assertEquals(2, server.requests(), "repeated once, not more");
    }
  }

  @Test
  void readTimeout_onRepeatableCall_isRepeatedOnce_thenReported() throws Exception {
    TransportOptions quick = TransportOptions.builder().readTimeout(Duration.ofMillis(300)).build();
    try (FakeFlakyServer server = new FakeFlakyServer(Step.silent(), Step.silent());
        HttpTransport t = transport(server.port(), quick)) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () ->
                  recovering(
                      t,
                      CallKind.READ_REPEATABLE,
                      c -> c.sign("s", 7, Mechanism.CKM_ECDSA_SHA256, null, new byte[] {1})));
      TransportException last = onlyFailure(e);
      assertInstanceOf(SocketTimeoutException.class, last.getCause());
      assertInstanceOf(SocketTimeoutException.class, last.getSuppressed()[0].getCause());
      assertEquals(2, server.requests());
    }
  }

  @Test
  void readTimeout_onACallMadeOnce_isNotRepeatedOnItsMember() throws Exception {
    TransportOptions quick = TransportOptions.builder().readTimeout(Duration.ofMillis(300)).build();
    try (FakeFlakyServer server = new FakeFlakyServer(Step.silent());
        HttpTransport t = transport(server.port(), quick)) {
      assertThrows(
          TransportException.class,
          () ->
              recovering(
                  t,
                  CallKind.READ_ONCE,
                  c -> {
                    c.login("s", Role.KRCO, "pw");
                    return null;
                  }));
      assertEquals(1, server.requests());
    }
  }

  @Test
  void callTimeout_endsTheAttempt_asAFailureNoSecondAttemptCouldOvercome() throws Exception {
    TransportOptions options =
        TransportOptions.builder()
            .readTimeout(Duration.ofSeconds(5))
            .callTimeout(Duration.ofMillis(300))
            .build();
    try (FakeFlakyServer server = new FakeFlakyServer(Step.silent(), Step.silent());
        HttpTransport t = transport(server.port(), options)) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () -> recovering(t, CallKind.READ_REPEATABLE, c -> c.random("s", 1)));
      assertFalse(onlyFailure(e).transientFailure(), onlyFailure(e).toString());
      assertEquals(1, server.requests(), "the call's deadline is not repeated");
    }
  }

  @Test
  void refusedConnection_isRepeatedOnce_evenForAWrite_sinceNothingWasSent() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (HttpTransport t = transport(port)) {
      TransportException direct =
          assertThrows(
              TransportException.class,
              () -> t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions"));
      assertEquals(TransportException.Kind.CONNECT, direct.kind());
      assertFalse(direct.requestSent());
      TransportException e =
          assertThrows(
              TransportException.class,
              () -> recovering(t, CallKind.WRITE, c -> c.openSession("app")));
      TransportException last = onlyFailure(e);
      assertEquals(TransportException.Kind.CONNECT, last.kind());
      assertInstanceOf(ConnectException.class, last.getCause());
      assertEquals(1, last.getSuppressed().length);
      assertInstanceOf(ConnectException.class, last.getSuppressed()[0].getCause());
    }
  }

  @Test
  void memberErrorBody_becomesItsHsmException_andIsNotRepeated() throws Exception {
    String error =
        "{\"error\":{\"code\":\"CKR_PIN_INCORRECT\",\"value\":160,\"message\":\"wrong password\"}}";
    try (FakeFlakyServer server = new FakeFlakyServer(Step.answer(401, error));
        HttpTransport t = transport(server.port())) {
      HsmException e =
          assertThrows(
              HsmException.class,
              () -> t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions", "s", "sign"));
      assertEquals(ResultCode.CKR_PIN_INCORRECT, e.code());
      assertEquals("wrong password", e.detail());
      assertEquals(1, server.requests());
    }
  }

  @Test
  void unknownErrorCode_isMappedByItsValue() throws Exception {
    String error = "{\"error\":{\"code\":\"CKR_NEWER_NAME\",\"value\":164,\"message\":\"locked\"}}";
    try (FakeFlakyServer server = new FakeFlakyServer(Step.answer(403, error));
        HttpTransport t = transport(server.port())) {
      HsmException e =
          assertThrows(
              HsmException.class, () -> t.get(CryptoMessages.SlotList.class, "v1", "slots"));
      assertEquals(ResultCode.CKR_PIN_LOCKED, e.code());
    }
  }

  @Test
  void errorStatusWithoutTheWireErrorBody_isAProtocolFailure() throws Exception {
    try (FakeFlakyServer server =
            new FakeFlakyServer(Step.answer(502, "<html>bad gateway</html>"));
        HttpTransport t = transport(server.port())) {
      TransportException e =
          assertThrows(
              TransportException.class, () -> t.get(CryptoMessages.SlotList.class, "v1", "slots"));
      assertEquals(TransportException.Kind.PROTOCOL, e.kind());
      assertTrue(e.getMessage().contains("HTTP 502"), e.getMessage());
      assertEquals(1, server.requests());
    }
  }

  @Test
  void successBodyThatIsNotTheExpectedRecord_isAProtocolFailure() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.answer(200, "{\"unexpected\":true}"));
        HttpTransport t = transport(server.port())) {
      TransportException e =
          assertThrows(
              TransportException.class, () -> t.get(CryptoMessages.SlotList.class, "v1", "slots"));
      assertEquals(TransportException.Kind.PROTOCOL, e.kind());
    }
  }

  @Test
  void noContent_givesNull_andClosingLeavesNoConnection() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.answer(204, null))) {
      HttpTransport t = transport(server.port());
      assertNull(t.post(null, Void.class, "v1", "sessions", "s", "logout"));
      assertEquals(1, t.connectionCount());
      assertEquals(1, t.idleConnectionCount(), "kept alive for the next call");
      t.close();
      assertEquals(0, t.connectionCount());
      TransportException e =
          assertThrows(
              TransportException.class, () -> t.get(CryptoMessages.SlotList.class, "v1", "slots"));
      assertTrue(e.getMessage().contains("closed"));
    }
  }
}
