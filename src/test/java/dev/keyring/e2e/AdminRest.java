package dev.keyring.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.sim.server.Member;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A member's admin REST API over TLS with the JDK {@link HttpClient}, trusting only the member's
 * admin certificate. Every request is bounded by {@link #TIMEOUT}.
 */
final class AdminRest {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String base;

  AdminRest(Member member) {
    this.base = "https://127.0.0.1:" + member.adminPort();
    this.http =
        HttpClient.newBuilder()
            .sslContext(trusting(member.adminCertificate()))
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  private static SSLContext trusting(X509Certificate cert) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("member", cert);
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

  /** An answer: status and JSON body (a missing node when empty). */
  record Reply(int status, JsonNode json) {
    Reply expect(int expected) {
      assertEquals(expected, status, () -> "unexpected status; body: " + json);
      return this;
    }

    String errorCode() {
      return json.path("error").path("code").asText(null);
    }
  }

  Reply send(String method, String path, String user, String password, Object body) {
    HttpRequest.BodyPublisher publisher;
    try {
      publisher =
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(TIMEOUT)
            .method(method, publisher)
            .header(
                "Authorization",
                "Basic "
                    + Base64.getEncoder()
                        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    if (body != null) {
      rb.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json =
          r.body() == null || r.body().isEmpty() ? JSON.missingNode() : JSON.readTree(r.body());
      return new Reply(r.statusCode(), json);
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static List<Map<String, String>> auth(String type, String password) {
    return List.of(Map.of("type", type, "password", password));
  }

  static List<Map<String, String>> auth(String type, String password, String partition) {
    return List.of(Map.of("type", type, "password", password, "partitionLabel", partition));
  }
}
