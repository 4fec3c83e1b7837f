package dev.keyring.testing.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * A test client of a member's admin REST API over TLS, trusting only that member's admin
 * certificate (given, or pinned by its SHA-256 fingerprint). Every request is bounded by {@link
 * #TIMEOUT}.
 *
 * <pre>{@code
 * AdminRestClient c = new AdminRestClient(member.adminPort(), member.adminCertificate());
 * c.call("GET", "/api/lunasa/hsms").as("admin", password).send().expect(200).json();
 * }</pre>
 */
public final class AdminRestClient {
  public static final Duration TIMEOUT = Duration.ofSeconds(30);
  public static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String base;

  /** A client of the admin API on loopback {@code port}, over HTTP/2 when the member offers it. */
  public AdminRestClient(int port, X509Certificate adminCertificate) {
    this(port, adminCertificate, HttpClient.Version.HTTP_2);
  }

  public AdminRestClient(int port, X509Certificate adminCertificate, HttpClient.Version version) {
    this(port, trusting(adminCertificate), version);
  }

  private AdminRestClient(int port, SSLContext tls, HttpClient.Version version) {
    this.base = "https://127.0.0.1:" + port;
    this.http =
        HttpClient.newBuilder()
            .sslContext(tls)
            .version(version)
            // the JDK client counts the TLS handshake in its connect timeout: a member JVM that
            // has just started on a busy machine (C1 only, crypto classes still loading) took
            // over 10 s for its first handshake in process-level fault runs
            .connectTimeout(TIMEOUT)
            .build();
  }

  /**
   * A client of the admin API on loopback {@code port} whose certificate has SHA-256 fingerprint
   * {@code fingerprint} (hex, colons and case ignored), as the member printed it when it started.
   */
  public static AdminRestClient pinned(int port, String fingerprint) {
    byte[] expected = HexFormat.of().parseHex(fingerprint.replace(":", "").toLowerCase());
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new Pinned(expected)}, null);
      return new AdminRestClient(port, ctx, HttpClient.Version.HTTP_2);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Trusts the one certificate whose SHA-256 digest is the pinned one. */
  private static final class Pinned implements X509TrustManager {
    private final byte[] expected;

    Pinned(byte[] expected) {
      this.expected = expected;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      try {
        byte[] seen = MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded());
        if (!MessageDigest.isEqual(expected, seen)) {
          throw new CertificateException("the admin certificate is not the pinned one");
        }
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new CertificateException(e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a client trust manager only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** A TLS context trusting {@code cert} alone. */
  public static SSLContext trusting(X509Certificate cert) {
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
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The value of an {@code Authorization: Basic} header. */
  public static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** The {@code authentication} list of a request body: one role and its password. */
  public static List<Map<String, Object>> auth(String type, String password) {
    return List.of(Map.of("type", type, "password", password));
  }

  /** The {@code authentication} list of a request body for a role of a partition. */
  public static List<Map<String, Object>> auth(String type, String password, String partition) {
    return List.of(Map.of("type", type, "password", password, "partitionLabel", partition));
  }

  /** An answer: status, body, headers. */
  public record Reply(int status, String body, HttpHeaders headers) {
    /** The body as JSON; a missing node when the body is empty. */
    public JsonNode json() {
      if (body == null || body.isEmpty()) {
        return JSON.missingNode();
      }
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }

    /** The error code of an error answer, or null. */
    public String errorCode() {
      return json().path("error").path("code").asText(null);
    }

    /** The error message of an error answer, or "". */
    public String message() {
      return json().path("error").path("message").asText("");
    }

    /** Fails unless the status is {@code expected}; returns this reply. */
    public Reply expect(int expected) {
      assertEquals(expected, status, () -> "unexpected status; body: " + body);
      return this;
    }
  }

  /** A request under construction. */
  public final class Call {
    private final String method;
    private final String path;
    private byte[] body;
    private boolean chunked;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Call(String method, String path) {
      this.method = method;
      this.path = path;
    }

    /** Basic authentication as {@code user}. */
    public Call as(String user, String password) {
      headers.put("Authorization", basic(user, password));
      return this;
    }

    public Call header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** A {@code Cookie} header with one cookie. */
    public Call cookie(String name, String value) {
      headers.put("Cookie", name + "=" + value);
      return this;
    }

    /** {@code body} as JSON (null: no body). */
    public Call json(Object body) {
      if (body == null) {
        return this;
      }
      try {
        this.body = JSON.writeValueAsBytes(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      headers.put("Content-Type", "application/json");
      return this;
    }

    /** Raw body bytes, sent with a length or chunked. */
    public Call raw(byte[] body, boolean chunked) {
      this.body = body;
      this.chunked = chunked;
      headers.putIfAbsent("Content-Type", "application/json");
      return this;
    }

    public Reply send() {
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
        throw new UncheckedIOException(method + " " + path + " failed", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  public Call call(String method, String path) {
    return new Call(method, path);
  }

  /** One request as {@code user} with a JSON {@code body} (null: none). */
  public Reply send(String method, String path, String user, String password, Object body) {
    return call(method, path).as(user, password).json(body).send();
  }
}
