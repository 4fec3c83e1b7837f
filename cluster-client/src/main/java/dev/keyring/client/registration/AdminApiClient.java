package dev.keyring.client.registration;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.cli.FingerprintTrust;
import dev.keyring.protocol.wire.ErrorResponse;
import dev.keyring.protocol.wire.WireJson;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import okhttp3.ConnectionSpec;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The one admin API call registration makes: {@code POST /api/clusters/{id}/clients} with HTTP
 * Basic authentication, over TLS trusted by fingerprint (see {@link FingerprintTrust}). The host
 * name is not checked: the fingerprint (or the operator's check of it) stands in for it.
 */
final class AdminApiClient implements AutoCloseable {
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final ObjectMapper JSON = WireJson.mapper();
  private static final int MAX_ANSWER_BYTES = 1 << 20;

  private final OkHttpClient http;
  private final HttpUrl base;
  private final FingerprintTrust trust;

  AdminApiClient(String host, int port, FingerprintTrust trust, Duration timeout) {
    this.trust = trust;
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {trust}, new SecureRandom());
      this.http =
          new OkHttpClient.Builder()
              .protocols(List.of(Protocol.HTTP_1_1))
              .connectionSpecs(List.of(ConnectionSpec.MODERN_TLS))
              .sslSocketFactory(ctx.getSocketFactory(), trust)
              .hostnameVerifier((h, s) -> true)
              .connectTimeout(timeout)
              .readTimeout(timeout)
              .writeTimeout(timeout)
              .callTimeout(timeout.multipliedBy(2))
              .retryOnConnectionFailure(false)
              .followRedirects(false)
              .followSslRedirects(false)
              .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make a TLS context", e);
    }
    this.base = new HttpUrl.Builder().scheme("https").host(host).port(port).build();
  }

  FingerprintTrust trust() {
    return trust;
  }

  /**
   * Registers the client.
   *
   * @throws dev.keyring.protocol.HsmException when the appliance refused (its code and message)
   * @throws TransportException when it could not be reached or answered something else
   */
  ClientRegistration.Response register(
      String clusterId, ClientRegistration.Request request, String user, String password)
      throws TransportException {
    HttpUrl url =
        base.newBuilder()
            .addPathSegment("api")
            .addPathSegment("clusters")
            .addPathSegment(clusterId)
            .addPathSegment("clients")
            .build();
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(request);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the registration request", e);
    }
    Request r =
        new Request.Builder()
            .url(url)
            .post(RequestBody.create(body, JSON_TYPE))
            .header(
                "Authorization",
                Credentials.basic(user, password, java.nio.charset.StandardCharsets.UTF_8))
            .header("Accept", "application/json")
            .build();
    int status;
    byte[] answer;
    try (Response response = http.newCall(r).execute()) {
      status = response.code();
      try (InputStream in = response.body().byteStream()) {
        answer = in.readNBytes(MAX_ANSWER_BYTES + 1);
      }
    } catch (IOException e) {
      throw failure(e);
    }
    if (answer.length > MAX_ANSWER_BYTES) {
      throw new TransportException(
          Kind.PROTOCOL, base + " answered more than " + MAX_ANSWER_BYTES + " bytes");
    }
    if (status >= 200 && status < 300) {
      try {
        return JSON.readValue(answer, ClientRegistration.Response.class);
      } catch (IOException e) {
        throw new TransportException(
            Kind.PROTOCOL,
            base
                + " answered HTTP "
                + status
                + " with something that is not a registration: "
                + e.getMessage(),
            e);
      }
    }
    ErrorResponse error = null;
    try {
      error = answer.length == 0 ? null : JSON.readValue(answer, ErrorResponse.class);
    } catch (IOException notAnError) {
      error = null;
    }
    if (error == null || error.error() == null || error.error().code() == null) {
      throw new TransportException(
          Kind.PROTOCOL,
          base
              + " answered HTTP "
              + status
              + " without an error body; is this a Keyring"
              + " appliance's admin port?");
    }
    throw error.toException();
  }

  private TransportException failure(IOException e) {
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    boolean tls = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException
          || t instanceof java.security.cert.CertificateException) {
        tls = true;
        break;
      }
    }
    if (tls) {
      return new TransportException(
          Kind.TLS, "the TLS handshake with the admin API at " + base + " failed: " + reason, e);
    }
    Kind kind =
        e instanceof java.net.ConnectException || e instanceof java.net.UnknownHostException
            ? Kind.CONNECT
            : Kind.IO;
    return new TransportException(
        kind, "the admin API at " + base + " could not be reached: " + reason, e);
  }

  @Override
  public void close() {
    http.connectionPool().evictAll();
    http.dispatcher().executorService().shutdown();
  }
}
