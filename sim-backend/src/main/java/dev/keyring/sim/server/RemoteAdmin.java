package dev.keyring.sim.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;

/**
 * The admin API of the cluster member a joiner joins through ({@link JoinFlow}), as its admin user,
 * over TLS with a pinned or first-seen key.
 */
final class RemoteAdmin {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final String base;
  private final String authorization;
  private final HttpClient http;
  private final AtomicReference<String> seen = new AtomicReference<>();

  RemoteAdmin(String host, int port, String password, String pinned) {
    this.base = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    this.authorization =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    String pin = pinned == null ? null : pinned.replace(":", "").toLowerCase(Locale.ROOT);
    X509TrustManager tm =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException();
          }

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType)
              throws java.security.cert.CertificateException {
            String fp;
            try {
              fp =
                  HexFormat.of()
                      .formatHex(
                          MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded()));
            } catch (GeneralSecurityException e) {
              throw new java.security.cert.CertificateException(e);
            }
            if (pin != null && !pin.equals(fp)) {
              throw new java.security.cert.CertificateException(
                  "the remote admin certificate's fingerprint " + fp + " is not the pinned one");
            }
            seen.set(fp);
          }

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new javax.net.ssl.TrustManager[] {tm}, new SecureRandom());
      this.http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(ctx)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  String seenFingerprint() {
    return seen.get();
  }

  /**
   * Asks the member to delete the joiner it added (the join failed after that): best effort.
   *
   * @return what happened, for the refusal's message
   */
  /** How long a withdrawal asks again while the cluster still sees the member. */
  static final Duration WITHDRAW_PATIENCE = Duration.ofSeconds(5);

  String withdraw(UUID clusterId, String memberId, String coPassword) {
    try {
      HttpRequest req =
          HttpRequest.newBuilder(
                  URI.create(base + "/api/clusters/" + clusterId + "/members/" + memberId))
              .timeout(Duration.ofSeconds(30))
              .header("Authorization", authorization)
              .header("Content-Type", "application/json")
              .method(
                  "DELETE",
                  HttpRequest.BodyPublishers.ofByteArray(
                      JSON.writeValueAsBytes(
                          java.util.Map.of(
                              "authentication",
                              java.util.List.of(
                                  new AdminMessages.Credential("CO", coPassword, null))))))
              .build();
      // the cluster refuses to delete a member it still sees, and it sees this one until its last
      // poll ages past the live window: ask again for a while
      long deadline = System.nanoTime() + WITHDRAW_PATIENCE.toNanos();
      while (true) {
        HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 == 2 || r.statusCode() == 404) {
          return "; the cluster no longer lists it";
        }
        if (r.statusCode() / 100 != 4 || System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(250);
      }
    } catch (IOException e) {
      // reported below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "; the cluster still lists member "
        + memberId
        + ": delete it there (cluster member delete -memberid "
        + memberId
        + ")";
  }

  <T> T post(String path, Object body, Class<T> answer) {
    try {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(Duration.ofSeconds(60))
              .header("Authorization", authorization)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
              .build();
      HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() / 100 != 2) {
        String text = new String(r.body(), StandardCharsets.UTF_8);
        String message = text;
        try {
          message = JSON.readTree(r.body()).path("message").asText(text);
        } catch (IOException notJson) {
          // keep the text
        }
        if (r.statusCode() == 401) {
          message = "the remote admin password was refused";
        }
        throw ApiError.conflict(
            ResultCode.CKR_FUNCTION_FAILED,
            "the cluster member at " + base + " refused: " + message);
      }
      return JSON.readValue(r.body(), answer);
    } catch (IOException e) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "the cluster member at " + base + " could not be reached: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "interrupted while joining");
    }
  }
}
