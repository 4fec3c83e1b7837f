package dev.keyring.sim.cluster;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * Calls to other members over mutual TLS (this member's certificate, trusting the cluster CA),
 * HTTP/1.1 so that a timed-out call closes its connection rather than leaving a stuck stream.
 * Addresses are the members' advertised crypto addresses, mapped through the configured routes.
 */
final class PeerClient implements PeerTransport {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final HttpClient http;
  private final Map<String, String> routes;
  private final java.util.concurrent.ExecutorService executor;

  PeerClient(SSLContext tls, Map<String, String> routes) {
    this.routes = Map.copyOf(routes);
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "keyring-peer-client");
              t.setDaemon(true);
              return t;
            });
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(tls)
            .connectTimeout(Duration.ofMillis(1_000))
            .executor(executor)
            .build();
  }

  @Override
  public PeerMessages.PollAnswer poll(String address, PeerMessages.Poll poll, Duration timeout)
      throws IOException {
    return post(address, "/v1/peer/poll", poll, PeerMessages.PollAnswer.class, timeout);
  }

  @Override
  public PeerMessages.SubmitAnswer submit(
      String address, PeerMessages.Submit submit, Duration timeout) throws IOException {
    return post(address, "/v1/peer/submit", submit, PeerMessages.SubmitAnswer.class, timeout);
  }

  @Override
  public PeerMessages.Status status(String address, Duration timeout) throws IOException {
    return get(address, "/v1/peer/status", PeerMessages.Status.class, timeout);
  }

  @Override
  public <T> T snapshot(String address, Duration timeout, StreamReader<T> reader)
      throws IOException {
    HttpRequest req =
        HttpRequest.newBuilder(uri(address, "/v1/peer/snapshot")).timeout(timeout).GET().build();
    HttpResponse<InputStream> r;
    try {
      r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    try (InputStream in = r.body()) {
      if (r.statusCode() != 200) {
        throw refused(req, r.statusCode(), in.readNBytes(64 * 1024));
      }
      // the request's timeout ends when the answer starts: the stream gets as long again, then it
      // is closed under the reader, which fails and leaves its store as it was
      CompletableFuture<Void> watchdog =
          CompletableFuture.runAsync(
              () -> closeQuietly(in),
              CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS));
      try {
        return reader.read(in);
      } finally {
        watchdog.cancel(false);
      }
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // closing is all that was wanted
    }
  }

  @Override
  public PeerMessages.Done promote(String address, PeerMessages.Promote promote, Duration timeout)
      throws IOException {
    return post(address, "/v1/peer/promote", promote, PeerMessages.Done.class, timeout);
  }

  @Override
  public PeerMessages.Done handover(
      String address, PeerMessages.Handover handover, Duration timeout) throws IOException {
    return post(address, "/v1/peer/handover", handover, PeerMessages.Done.class, timeout);
  }

  @Override
  public PeerMessages.FenceAnswer fence(String address, PeerMessages.Fence fence, Duration timeout)
      throws IOException {
    return post(address, "/v1/peer/fence", fence, PeerMessages.FenceAnswer.class, timeout);
  }

  @Override
  public PeerMessages.Done release(String address, PeerMessages.Release release, Duration timeout)
      throws IOException {
    return post(address, "/v1/peer/release", release, PeerMessages.Done.class, timeout);
  }

  /** Runs {@code task} on this client's threads. */
  @Override
  public void execute(Runnable task) {
    executor.execute(task);
  }

  /** Where to connect for a member advertised at {@code address}. */
  private String route(String address) {
    return routes.getOrDefault(address, address);
  }

  private <T> T post(String address, String path, Object body, Class<T> answer, Duration timeout)
      throws IOException {
    HttpRequest req =
        HttpRequest.newBuilder(uri(address, path))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
            .build();
    return send(req, answer);
  }

  private <T> T get(String address, String path, Class<T> answer, Duration timeout)
      throws IOException {
    HttpRequest req = HttpRequest.newBuilder(uri(address, path)).timeout(timeout).GET().build();
    return send(req, answer);
  }

  private <T> T send(HttpRequest req, Class<T> answer) throws IOException {
    HttpResponse<byte[]> r = call(req);
    if (r.statusCode() != 200) {
      throw refused(req, r.statusCode(), r.body());
    }
    return JSON.readValue(r.body(), answer);
  }

  /** A peer's answer other than 200, with what it said. */
  private static IOException refused(HttpRequest req, int status, byte[] body) {
    return new IOException(
        "member at "
            + req.uri().getAuthority()
            + " answered "
            + status
            + " to "
            + req.uri().getPath()
            + ": "
            + new String(body, StandardCharsets.UTF_8));
  }

  private HttpResponse<byte[]> call(HttpRequest req) throws IOException {
    try {
      return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private URI uri(String address, String path) {
    return URI.create("https://" + route(address) + path);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
