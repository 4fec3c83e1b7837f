package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.ReadYourWrites;
import dev.keyring.protocol.wire.ClusterPosition;
import dev.keyring.protocol.wire.CryptoHeaders;
import dev.keyring.protocol.wire.CryptoMessages;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The read-your-writes headers on the wire: the transports of one cluster send the highest position
 * any of them was answered with, and only the primary lookup asks for the primary.
 */
@Timeout(30)
class HttpTransportPositionTest {
  private static final UUID CLUSTER = UUID.randomUUID();
  private static final CryptoMessages.RandomRequest BODY = new CryptoMessages.RandomRequest(1);

  /** A member that answers 200 to everything, with the next scripted position header if any. */
  private static final class Member implements AutoCloseable {
    final HttpServer server;
    final Queue<String> positions = new ConcurrentLinkedQueue<>();
    final Queue<Map<String, String>> seen = new ConcurrentLinkedQueue<>();

    Member() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          x -> {
            x.getRequestBody().readAllBytes();
            String min = x.getRequestHeaders().getFirst(CryptoHeaders.MIN_POSITION);
            String from = x.getRequestHeaders().getFirst(CryptoHeaders.READ_FROM);
            seen.add(Map.of("min", min == null ? "-" : min, "from", from == null ? "-" : from));
            String p = positions.poll();
            if (p != null) {
              x.getResponseHeaders().add(CryptoHeaders.LOG_POSITION, p);
            }
            String json =
                x.getRequestURI().getPath().endsWith("/find")
                    ? "{\"objects\":[]}"
                    : "{\"data\":\"AQ==\"}";
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, body.length);
            try (OutputStream out = x.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
    }

    HttpTransport transport(ReadYourWrites shared) {
      return HttpTransport.plainForTests(
          new HttpUrl.Builder()
              .scheme("http")
              .host("127.0.0.1")
              .port(server.getAddress().getPort())
              .build(),
          TransportOptions.defaults(),
          shared);
    }

    Map<String, String> last() {
      Map<String, String> out = null;
      for (Map<String, String> m : seen) {
        out = m;
      }
      return out;
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private final ReadYourWrites shared = new ReadYourWrites();
  private Member a;
  private Member b;

  @AfterEach
  void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  private static void call(HttpTransport t) throws Exception {
    t.post(BODY, CryptoMessages.CryptoResult.class, "v1", "sessions", "s", "random");
  }

  @Test
  void aPositionReportedByOneMember_isSentToEveryMemberOfTheCluster() throws Exception {
    a = new Member();
    b = new Member();
    HttpTransport ta = a.transport(shared);
    HttpTransport tb = b.transport(shared);

    call(tb);
    assertEquals("-", b.last().get("min"), "nothing written yet: no position sent");

    a.positions.add(new ClusterPosition(CLUSTER, 2, 40).toString());
    call(ta); // a write answered by member a
    call(tb);
    assertEquals("2.40@" + CLUSTER, b.last().get("min"));

    a.positions.add(new ClusterPosition(CLUSTER, 2, 31).toString()); // an older one, late
    call(ta);
    a.positions.add("garbage");
    call(ta);
    a.positions.add(new ClusterPosition(UUID.randomUUID(), 9, 900).toString()); // another cluster
    call(ta);
    call(tb);
    assertEquals("2.40@" + CLUSTER, b.last().get("min"), "only ever raised, by this cluster");
    assertEquals("-", b.last().get("from"));
  }

  @Test
  void theLookupOnThePrimary_asksForThePrimary_andItsPositionIsKept() throws Exception {
    a = new Member();
    HttpTransport t = a.transport(shared);
    a.positions.add(new ClusterPosition(CLUSTER, 1, 7).toString());
    t.postToPrimary(
        new CryptoMessages.FindObjects(Map.of()),
        CryptoMessages.ObjectList.class,
        "v1",
        "sessions",
        "s",
        "objects",
        "find");
    assertEquals(CryptoHeaders.PRIMARY, a.last().get("from"));
    call(t);
    assertEquals("-", a.last().get("from"));
    assertEquals("1.7@" + CLUSTER, a.last().get("min"));
    assertEquals(List.of(), List.copyOf(a.positions));
  }
}
