package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.TransportException;
import dev.keyring.client.TransportOptions;
import dev.keyring.client.internal.transport.FakeFlakyServer.Step;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CryptoMessages;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The retry rules and the answer mapping of {@link HttpTransport}, against a fake HTTP server. */
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

  @Test
  void idempotentCall_whoseConnectionBreaksAfterSending_isRepeatedOnceOnAFreshConnection()
      throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.drop());
        HttpTransport t = transport(server.port())) {
      CryptoMessages.CryptoResult r =
          t.post(BODY, CryptoMessages.CryptoResult.class, true, "v1", "sessions", "s", "random");
      assertArrayEquals(new byte[] {1}, r.data());
      assertEquals(2, server.requests());
      assertEquals(2, server.connections(), "the repeat went over a new connection");
    }
  }

  @Test
  void nonIdempotentCall_whoseConnectionBreaksAfterSending_isNotRepeated() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.drop());
        HttpTransport t = transport(server.port())) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () ->
                  t.post(
                      BODY,
                      CryptoMessages.CryptoResult.class,
                      false,
                      "v1",
                      "sessions",
                      "s",
                      "keys"));
      assertEquals(TransportException.Kind.IO, e.kind(), e.getMessage());
      assertEquals(0, e.getSuppressed().length);
      assertEquals(1, server.requests());
    }
  }

  @Test
  void idempotentCall_failingTwice_reportsTheFirstFailureAsSuppressed() throws Exception {
    try (FakeFlakyServer server = new FakeFlakyServer(Step.drop(), Step.drop());
        HttpTransport t = transport(server.port())) {
      TransportException e =
          assertThrows(
              TransportException.class, () -> t.get(CryptoMessages.SlotList.class, "v1", "slots"));
      assertEquals(1, e.getSuppressed().length);
      assertEquals(2, server.requests(), "repeated once, not more");
    }
  }

  @Test
  void readTimeout_onIdempotentCall_isRepeatedOnce_thenReported() throws Exception {
    TransportOptions quick = TransportOptions.builder().readTimeout(Duration.ofMillis(300)).build();
    try (FakeFlakyServer server = new FakeFlakyServer(Step.silent(), Step.silent());
        HttpTransport t = transport(server.port(), quick)) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () ->
                  t.post(
                      BODY,
                      CryptoMessages.CryptoResult.class,
                      true,
                      "v1",
                      "sessions",
                      "s",
                      "sign"));
      assertInstanceOf(SocketTimeoutException.class, e.getCause());
      assertInstanceOf(SocketTimeoutException.class, e.getSuppressed()[0]);
      assertEquals(2, server.requests());
    }
  }

  @Test
  void readTimeout_onNonIdempotentCall_isNotRepeated() throws Exception {
    TransportOptions quick = TransportOptions.builder().readTimeout(Duration.ofMillis(300)).build();
    try (FakeFlakyServer server = new FakeFlakyServer(Step.silent());
        HttpTransport t = transport(server.port(), quick)) {
      assertThrows(
          TransportException.class,
          () ->
              t.post(
                  BODY, CryptoMessages.CryptoResult.class, false, "v1", "sessions", "s", "login"));
      assertEquals(1, server.requests());
    }
  }

  @Test
  void callTimeout_coversTheRetryToo() throws Exception {
    TransportOptions options =
        TransportOptions.builder()
            .readTimeout(Duration.ofMillis(400))
            .callTimeout(Duration.ofMillis(600))
            .build();
    try (FakeFlakyServer server = new FakeFlakyServer(Step.silent(), Step.silent(), Step.silent());
        HttpTransport t = transport(server.port(), options)) {
      long start = System.nanoTime();
      TransportException e =
          assertThrows(
              TransportException.class, () -> t.get(CryptoMessages.SlotList.class, "v1", "slots"));
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis < 1500, "took " + millis + " ms: " + e.getMessage());
      assertTrue(server.requests() <= 2);
    }
  }

  @Test
  void refusedConnection_isRepeatedOnce_evenWhenNotIdempotent_sinceNothingWasSent()
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (HttpTransport t = transport(port)) {
      TransportException e =
          assertThrows(
              TransportException.class,
              () -> t.post(BODY, CryptoMessages.CryptoResult.class, false, "v1", "sessions"));
      assertEquals(TransportException.Kind.CONNECT, e.kind());
      assertInstanceOf(ConnectException.class, e.getCause());
      assertEquals(1, e.getSuppressed().length);
      assertInstanceOf(ConnectException.class, e.getSuppressed()[0]);
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
              () ->
                  t.post(
                      BODY,
                      CryptoMessages.CryptoResult.class,
                      true,
                      "v1",
                      "sessions",
                      "s",
                      "sign"));
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
      assertNull(t.post(null, Void.class, false, "v1", "sessions", "s", "logout"));
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
