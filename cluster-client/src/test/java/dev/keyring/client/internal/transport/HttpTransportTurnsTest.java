package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.protocol.wire.CryptoMessages;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Over HTTP/1.1 a transport has at most {@code maxConnections} calls under way to its member, one
 * connection each, so that it keeps within the member's limit of connections per client: more wait
 * their turn, and one whose turn does not come within its time limit is not sent.
 */
@Timeout(60)
class HttpTransportTurnsTest {
  private static final CryptoMessages.RandomRequest BODY = new CryptoMessages.RandomRequest(1);

  private HttpServer server;
  private final AtomicInteger underWay = new AtomicInteger();
  private final AtomicInteger most = new AtomicInteger();
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicInteger arrivals = new AtomicInteger();
  private volatile CountDownLatch release = new CountDownLatch(0);

  /** When not zero, every request but the first is answered this long after it arrives. */
  private volatile Duration laterAnswer = Duration.ZERO;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(16));
    server.createContext(
        "/",
        x -> {
          most.accumulateAndGet(underWay.incrementAndGet(), Math::max);
          try {
            x.getRequestBody().readAllBytes();
            if (arrivals.incrementAndGet() > 1 && !laterAnswer.isZero()) {
              Thread.sleep(laterAnswer.toMillis());
            } else {
              release.await(30, TimeUnit.SECONDS);
            }
            byte[] body = "{\"data\":\"AQ==\"}".getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            underWay.decrementAndGet();
            served.incrementAndGet();
            x.sendResponseHeaders(200, body.length);
            try (OutputStream out = x.getResponseBody()) {
              out.write(body);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    server.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
    ((ExecutorService) server.getExecutor()).shutdownNow();
  }

  private HttpTransport transport(TransportOptions options) {
    return HttpTransport.plainForTests(
        new HttpUrl.Builder()
            .scheme("http")
            .host("127.0.0.1")
            .port(server.getAddress().getPort())
            .build(),
        options);
  }

  private static CryptoMessages.CryptoResult post(HttpTransport t) throws TransportException {
    return t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions", "s", "r");
  }

  /** A call that takes a turn, with its own time limit. */
  private static CryptoMessages.CryptoResult postWithin(HttpTransport t, Duration limit)
      throws TransportException {
    return t.exchange(
        "POST",
        BODY,
        CryptoMessages.CryptoResult.class,
        limit,
        false,
        true,
        "v1",
        "sessions",
        "s",
        "r");
  }

  /** Waits (up to 2 s) until {@code n} calls are at the member. */
  private void awaitUnderWay(int n) throws InterruptedException {
    for (int i = 0; i < 200 && underWay.get() < n; i++) {
      Thread.sleep(10);
    }
  }

  @Test
  void twelveCallersAtOnce_haveAtMostTheLimitUnderWay_andAllAreAnswered() throws Exception {
    release = new CountDownLatch(1);
    HttpTransport t = transport(TransportOptions.builder().maxConnections(3).build());
    ExecutorService callers = Executors.newFixedThreadPool(12);
    try {
      List<Future<CryptoMessages.CryptoResult>> calls = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        calls.add(callers.submit(() -> post(t)));
      }
      awaitUnderWay(3);
      Thread.sleep(200); // time for any more to arrive, were they not held back
      assertEquals(3, underWay.get(), "calls at the member while all are held there");
      release.countDown();
      for (Future<CryptoMessages.CryptoResult> c : calls) {
        c.get(30, TimeUnit.SECONDS);
      }
      assertEquals(12, served.get());
      assertEquals(3, most.get(), "never more than maxConnections under way");
      assertTrue(t.connectionCount() <= 3, "connections: " + t.connectionCount());
    } finally {
      callers.shutdownNow();
      t.close();
    }
  }

  @Test
  void aCallWhoseTurnDoesNotComeWithinItsLimit_isNotSent() throws Exception {
    release = new CountDownLatch(1);
    HttpTransport t = transport(TransportOptions.builder().maxConnections(1).build());
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try {
      Future<CryptoMessages.CryptoResult> first = callers.submit(() -> post(t));
      awaitUnderWay(1);
      TransportException e =
          assertThrows(TransportException.class, () -> postWithin(t, Duration.ofMillis(200)));
      assertEquals(TransportException.Kind.BUSY, e.kind(), "the member is not suspect");
      assertFalse(e.requestSent(), "never sent");
      assertFalse(e.transientFailure(), "its time limit is spent");
      assertTrue(e.getMessage().contains("TransportOptions.maxConnections"), e.getMessage());
      // a caller interrupted while it waits for its turn: nothing sent, nothing said of the member
      AtomicReference<TransportException> interrupted = new AtomicReference<>();
      Thread waiting =
          new Thread(
              () -> {
                try {
                  post(t);
                } catch (TransportException x) {
                  interrupted.set(x);
                }
              });
      waiting.start();
      Thread.sleep(100);
      waiting.interrupt();
      waiting.join(10_000);
      assertEquals(TransportException.Kind.INTERRUPTED, interrupted.get().kind());
      assertFalse(interrupted.get().requestSent(), "never sent");
      assertFalse(interrupted.get().transientFailure());
      assertEquals(1, most.get());
      // a health probe or a view fetch does not wait its turn: a busy member is not down
      Future<CryptoMessages.CryptoResult> probe =
          callers.submit(
              () ->
                  t.getWithin(
                      Duration.ofSeconds(20), CryptoMessages.CryptoResult.class, "v1", "health"));
      awaitUnderWay(2);
      assertEquals(2, underWay.get(), "the probe is at the member beside the call under way");
      release.countDown();
      first.get(30, TimeUnit.SECONDS);
      probe.get(30, TimeUnit.SECONDS);
      assertEquals(2, served.get(), "the call that waited was never sent");
    } finally {
      callers.shutdownNow();
      t.close();
    }
  }

  /**
   * The time limit covers the wait for a turn too: a call that waited 2 s of its 3 s for a turn
   * waits at most what is left for its answer, which the member gives 2 s after the request.
   */
  @Test
  void theTimeLimitCoversTheWaitForATurn() throws Exception {
    release = new CountDownLatch(1);
    laterAnswer = Duration.ofSeconds(2);
    HttpTransport t = transport(TransportOptions.builder().maxConnections(1).build());
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try {
      Future<CryptoMessages.CryptoResult> first = callers.submit(() -> post(t));
      awaitUnderWay(1);
      Future<CryptoMessages.CryptoResult> second =
          callers.submit(() -> postWithin(t, Duration.ofSeconds(3)));
      Thread.sleep(2_000);
      release.countDown(); // the first is answered: a turn at last, with about 1 s of the 3 left
      first.get(30, TimeUnit.SECONDS);
      ExecutionException failed =
          assertThrows(ExecutionException.class, () -> second.get(30, TimeUnit.SECONDS));
      TransportException e = assertInstanceOf(TransportException.class, failed.getCause());
      assertTrue(
          e.kind() == TransportException.Kind.IO || e.kind() == TransportException.Kind.BUSY,
          "no answer within what was left (BUSY only if the turn came after 3 s): " + e);
    } finally {
      callers.shutdownNow();
      t.close();
    }
  }
}
