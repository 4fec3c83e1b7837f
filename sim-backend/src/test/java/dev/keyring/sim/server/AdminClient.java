package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A test client of a member's admin API over TLS, trusting only the member's admin certificate.
 * Every request is bounded by {@link #TIMEOUT}.
 */
final class AdminClient {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String base;

  AdminClient(Member member) {
    this(member, HttpClient.Version.HTTP_2);
  }

  AdminClient(Member member, HttpClient.Version version) {
    this.base = "https://127.0.0.1:" + member.adminPort();
    this.http =
        HttpClient.newBuilder()
            .sslContext(trusting(member.adminCertificate()))
            .version(version)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  static SSLContext trusting(X509Certificate cert) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("trusted", cert);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** An answer: status, body, headers. */
  record Reply(int status, String body, HttpHeaders headers) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }

    String errorCode() {
      return json().path("error").path("code").asText(null);
    }

    String message() {
      return json().path("error").path("message").asText("");
    }

    Reply expect(int expected) {
      assertEquals(expected, status, () -> "unexpected status; body: " + body);
      return this;
    }
  }

  /** A request under construction. */
  final class Call {
    private final String method;
    private final String path;
    private byte[] body;
    private boolean chunked;
    private final Map<String, String> headers = new LinkedHashMap<>();

    Call(String method, String path) {
      this.method = method;
      this.path = path;
    }

    Call as(String user, String password) {
      headers.put("Authorization", basic(user, password));
      return this;
    }

    Call header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    Call cookie(String value) {
      headers.put("Cookie", AdminSessions.COOKIE + "=" + value);
      return this;
    }

    Call json(Object body) {
      try {
        this.body = JSON.writeValueAsBytes(body);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      headers.put("Content-Type", "application/json");
      return this;
    }

    Call raw(byte[] body, boolean chunked) {
      this.body = body;
      this.chunked = chunked;
      headers.putIfAbsent("Content-Type", "application/json");
      return this;
    }

    Reply send() {
      HttpRequest.BodyPublisher publisher;
      if (body == null) {
        publisher = HttpRequest.BodyPublishers.noBody();
      } else if (chunked) {
        byte[] b = body;
        publisher = HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(b));
      } else {
        publisher = HttpRequest.BodyPublishers.ofByteArray(body);
      }
      HttpRequest.Builder rb =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(TIMEOUT)
              .method(method, publisher);
      headers.forEach(rb::header);
      try {
        HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(method + " " + path + " failed", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  Call call(String method, String path) {
    return new Call(method, path);
  }
}
