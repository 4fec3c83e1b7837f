package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.FingerprintTrust;
import dev.keyring.protocol.wire.ErrorResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Calls to one member's admin REST API over TLS with the JDK {@link HttpClient}, as an appliance
 * user (HTTP Basic). A refusal by the member becomes a {@link dev.keyring.protocol.HsmException}
 * with its code (exit code 1); a network or TLS failure, or an answer that is not the admin API's,
 * becomes a {@link CliException} with exit code 3.
 */
final class AdminConnection implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ANSWER_BYTES = 4 << 20;

  private final String base;
  private final String user;
  private final String authorization;
  private final Duration timeout;
  private final FingerprintTrust trust;
  private final PrintWriter err;
  private final HttpClient http;
  private boolean trustReported;

  AdminConnection(
      String host,
      int port,
      String user,
      String password,
      String pin,
      Duration timeout,
      PrintWriter err) {
    String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    this.base = "https://" + h + ":" + port;
    this.user = user;
    this.authorization =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.timeout = timeout;
    this.trust = new FingerprintTrust(pin, "the member", "--fingerprint");
    this.err = err;
    SSLContext ctx;
    try {
      ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {trust}, new SecureRandom());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make a TLS context", e);
    }
    this.http =
        HttpClient.newBuilder()
            .sslContext(ctx)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** The member's address, for messages. */
  /** The appliance user this connection logs in as. */
  String user() {
    return user;
  }

  String base() {
    return base;
  }

  JsonNode get(String path) {
    return send("GET", path, null);
  }

  /**
   * Sends one request and returns the answer's JSON ({@link MissingNode} for an empty answer).
   *
   * @param body an object Jackson writes as the JSON body, or null for none
   */
  JsonNode send(String method, String path, Object body) {
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .header("Authorization", authorization)
            .header("Accept", "application/json");
    if (body == null) {
      rb.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      byte[] json;
      try {
        json = JSON.writeValueAsBytes(body);
      } catch (IOException e) {
        throw new IllegalStateException("cannot write a request body", e);
      }
      rb.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(json));
    }
    HttpResponse<byte[]> r;
    try {
      r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      reportTrust();
      throw failure(base, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(3, "interrupted while waiting for the member at " + base);
    }
    reportTrust();
    byte[] answer = r.body() == null ? new byte[0] : r.body();
    if (answer.length > MAX_ANSWER_BYTES) {
      throw new CliException(3, base + " answered more than " + MAX_ANSWER_BYTES + " bytes");
    }
    int status = r.statusCode();
    if (status >= 200 && status < 300) {
      if (answer.length == 0) {
        return MissingNode.getInstance();
      }
      try {
        return JSON.readTree(answer);
      } catch (IOException e) {
        throw new CliException(
            3, base + " answered HTTP " + status + " with something that is not JSON");
      }
    }
    ErrorResponse error;
    try {
      error = answer.length == 0 ? null : JSON.readValue(answer, ErrorResponse.class);
    } catch (IOException notAnError) {
      error = null;
    }
    if (error == null || error.error() == null || error.error().code() == null) {
      throw new CliException(
          3,
          base
              + " answered HTTP "
              + status
              + " without an error body: is this a Keyring member's admin port?");
    }
    throw error.toException();
  }

  private void reportTrust() {
    if (!trustReported) {
      trustReported = trust.reportFirstUse(err, "The member's admin API at " + base);
    }
  }

  /** What a failed request tells the operator: exit code 3, the address and the reason. */
  static CliException failure(String base, IOException e) {
    boolean tls = false;
    String reason = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException
          || t instanceof java.security.cert.CertificateException) {
        tls = true;
      }
      if (t instanceof java.nio.channels.UnresolvedAddressException) {
        return new CliException(
            3,
            "cannot reach the member's admin API at "
                + base
                + ": its host name cannot be resolved (check --host)");
      }
      if (reason == null && t.getMessage() != null && !t.getMessage().isBlank()) {
        reason = t.getMessage();
      }
    }
    if (reason == null) {
      reason =
          e instanceof java.net.ConnectException
              ? "connection refused"
              : e.getClass().getSimpleName();
    }
    if (tls) {
      return new CliException(
          3, "TLS with the member's admin API at " + base + " failed: " + reason);
    }
    return new CliException(3, "cannot reach the member's admin API at " + base + ": " + reason);
  }

  @Override
  public void close() {
    if (http instanceof AutoCloseable) { // Java 21 and later
      try {
        ((AutoCloseable) http).close();
      } catch (Exception e) {
        // closing is best effort
      }
    }
  }
}
