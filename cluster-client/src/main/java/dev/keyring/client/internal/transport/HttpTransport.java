package dev.keyring.client.internal.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.AttemptScope;
import dev.keyring.client.channel.ReadYourWrites;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.protocol.wire.ClusterPosition;
import dev.keyring.protocol.wire.CryptoHeaders;
import dev.keyring.protocol.wire.ErrorResponse;
import dev.keyring.protocol.wire.WireJson;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.ConnectionSpec;
import okhttp3.EventListener;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * JSON over HTTPS to one cluster member, with mutual TLS. One OkHttp client per cluster entry: its
 * connection pool keeps connections alive (a full mutual-TLS handshake costs about 14 ms), sockets
 * have TCP_NODELAY, and OkHttp's own silent retries are off: every call is one attempt, and only
 * the recovering {@link dev.keyring.client.api.KeyringChannel} decides what is repeated. A broken
 * connection empties the pool of idle connections, which may be as broken; the failure says whether
 * the request was sent and whether another attempt could succeed ({@link WireFailures}).
 *
 * <p>Answers: 2xx is decoded from JSON (204 has no body); 4xx and 5xx carrying the wire error body
 * become the {@link dev.keyring.protocol.HsmException} it stands for; anything else is a {@link
 * TransportException} of kind {@link Kind#PROTOCOL}. Network failures are {@link
 * TransportException}s.
 *
 * <p>Consistency: every request carries the cluster's read-your-writes position ({@code
 * Keyring-Min-Position}, from the {@link ReadYourWrites} the cluster's transports share), and every
 * answer that reports the member's position ({@code Keyring-Log-Position}: writes, reads from the
 * primary) raises it. Which calls go to the primary, and what follows a CKR_MEMBER_BEHIND refusal,
 * is decided above, not here.
 *
 * <p>Thread-safe.
 */
public final class HttpTransport implements JsonCalls, AutoCloseable {
  /** The most an answer body may hold. */
  static final int MAX_ANSWER_BYTES = 96 << 20;

  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final ObjectMapper JSON = WireJson.mapper();
  private static final System.Logger LOG = System.getLogger(HttpTransport.class.getName());

  private final OkHttpClient http;
  private final HttpUrl base;
  private final String name;
  private final Duration callTimeout;
  private final TlsRefusalProbe probe;
  private final ReadYourWrites positions;

  /**
   * Calls under way at once over HTTP/1.1, one connection each: at most {@link
   * TransportOptions#maxConnections()}, so that the member's limit of connections per client is not
   * reached (null over HTTP/2, which multiplexes them on one connection).
   */
  private final Semaphore calls;

  private final int maxCalls;
  private volatile boolean closed;

  private HttpTransport(
      OkHttpClient http,
      HttpUrl base,
      String name,
      TransportOptions options,
      TlsRefusalProbe probe,
      ReadYourWrites positions) {
    this.http = http;
    this.base = base;
    this.name = name;
    this.callTimeout = options.callTimeout();
    this.probe = probe;
    this.positions = positions;
    this.maxCalls = options.maxConnections();
    this.calls =
        options.httpVersion() == TransportOptions.HttpVersion.HTTP_1_1
            ? new Semaphore(maxCalls)
            : null;
  }

  /**
   * A transport to the member of {@code entry}: reads the client certificate, key and CA file (and
   * checks that key and certificate belong together). No connection is made until the first call.
   *
   * @throws TransportException of kind {@link Kind#CONFIGURATION} naming the file at fault
   */
  public static HttpTransport open(ClusterEntry entry, TransportOptions options)
      throws TransportException {
    Objects.requireNonNull(entry, "entry");
    return MemberTransports.load(entry, options)
        .open(
            entry.host(),
            entry.port(),
            entry.serverCn(),
            "member " + entry.server() + " (cluster " + entry.indexSuffix() + ")");
  }

  /**
   * A transport to the member at {@code host}:{@code port} whose certificate must carry {@code
   * memberName} (or cover {@code host} in its subjectAltName), with the TLS identity {@code tls},
   * keeping the read-your-writes position {@code positions} of its cluster.
   */
  static HttpTransport open(
      ClientTls tls,
      TransportOptions options,
      String host,
      int port,
      String memberName,
      String description,
      ReadYourWrites positions) {
    OkHttpClient.Builder b =
        baseBuilder(options)
            .sslSocketFactory(PooledConnectionCheck.tracking(tls.socketFactory), tls.trustManager)
            .hostnameVerifier(ClientTls.verifierFor(memberName))
            .connectionSpecs(List.of(ConnectionSpec.MODERN_TLS));
    HttpUrl base = new HttpUrl.Builder().scheme("https").host(host).port(port).build();
    return new HttpTransport(
        b.build(),
        base,
        description,
        options,
        new TlsRefusalProbe(tls.socketFactory, host, port, options.connectTimeout()),
        Objects.requireNonNull(positions, "positions"));
  }

  /** A transport to {@code base} with no TLS: for tests of the retry rules only. */
  static HttpTransport plainForTests(HttpUrl base, TransportOptions options) {
    return plainForTests(base, options, new ReadYourWrites());
  }

  /** A transport to {@code base} with no TLS keeping {@code positions}: for tests only. */
  static HttpTransport plainForTests(
      HttpUrl base, TransportOptions options, ReadYourWrites positions) {
    return new HttpTransport(
        baseBuilder(options).connectionSpecs(List.of(ConnectionSpec.CLEARTEXT)).build(),
        base,
        "test server " + base.host() + ":" + base.port(),
        options,
        null,
        positions);
  }

  private static OkHttpClient.Builder baseBuilder(TransportOptions options) {
    List<Protocol> protocols =
        options.httpVersion() == TransportOptions.HttpVersion.HTTP_2
            ? List.of(Protocol.HTTP_2, Protocol.HTTP_1_1)
            : List.of(Protocol.HTTP_1_1);
    return new OkHttpClient.Builder()
        .protocols(protocols)
        .socketFactory(NoDelaySocketFactory.INSTANCE)
        .connectionPool(
            new ConnectionPool(
                options.maxIdleConnections(),
                options.keepAlive().toMillis(),
                TimeUnit.MILLISECONDS))
        .connectTimeout(options.connectTimeout())
        .readTimeout(options.readTimeout())
        .writeTimeout(options.writeTimeout())
        .callTimeout(Duration.ZERO) // set per call: probes have their own limit
        .retryOnConnectionFailure(false)
        .followRedirects(false)
        .followSslRedirects(false)
        .addNetworkInterceptor(PooledConnectionCheck.INSTANCE)
        .eventListenerFactory(HttpTransport::trackerOf);
  }

  private static EventListener trackerOf(Call call) {
    CallTracker t = call.request().tag(CallTracker.class);
    return t != null ? t : EventListener.NONE;
  }

  /** {@code GET}. */
  @Override
  public <T> T get(Class<T> answer, String... path) throws TransportException {
    return exchange("GET", null, answer, path);
  }

  /**
   * {@code GET} that gives up after {@code limit}, whatever the call timeout: for health probes and
   * view fetches, which must not hold the client's background thread for long. It does not wait for
   * a turn among the calls under way (a member busy with this client's calls is not down).
   */
  public <T> T getWithin(Duration limit, Class<T> answer, String... path)
      throws TransportException {
    Objects.requireNonNull(limit, "limit");
    return exchange("GET", null, answer, limit, false, false, path);
  }

  /** {@code POST} with a JSON body. */
  @Override
  public <T> T post(Object body, Class<T> answer, String... path) throws TransportException {
    return exchange("POST", body, answer, path);
  }

  /**
   * {@code POST} with a JSON body that only the primary answers ({@code Keyring-Read-From:
   * primary}); another member refuses it with CKR_MEMBER_BEHIND.
   */
  @Override
  public <T> T postToPrimary(Object body, Class<T> answer, String... path)
      throws TransportException {
    return exchange("POST", body, answer, callTimeout, true, true, path);
  }

  /** {@code PATCH} with a JSON body. */
  @Override
  public <T> T patch(Object body, Class<T> answer, String... path) throws TransportException {
    return exchange("PATCH", body, answer, path);
  }

  /** {@code DELETE}. */
  @Override
  public void delete(String... path) throws TransportException {
    exchange("DELETE", null, Void.class, path);
  }

  /**
   * One exchange, one attempt. {@code answer} {@code Void.class} ignores the answer's body.
   *
   * @throws dev.keyring.protocol.HsmException when the member refused the request
   * @throws TransportException when the member could not be reached or answered nonsense
   */
  public <T> T exchange(String method, Object body, Class<T> answer, String... path)
      throws TransportException {
    return exchange(method, body, answer, callTimeout, false, true, path);
  }

  /**
   * One exchange within {@code limit}, to the primary only when {@code primary}, waiting for its
   * turn among the calls under way when {@code turn} (see {@link TransportOptions#maxConnections}).
   */
  <T> T exchange(
      String method,
      Object body,
      Class<T> answer,
      Duration limit,
      boolean primary,
      boolean turn,
      String... path)
      throws TransportException {
    if (closed) {
      throw new TransportException(
          Kind.CONNECT, name + ": this client is closed", null, false, false);
    }
    HttpUrl.Builder url = base.newBuilder();
    for (String segment : path) {
      url.addPathSegment(segment);
    }
    RequestBody requestBody = null;
    if (body != null) {
      try {
        requestBody = RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("cannot write " + body.getClass().getSimpleName(), e);
      }
    } else if (!method.equals("GET") && !method.equals("DELETE")) {
      requestBody = RequestBody.create(new byte[0], null);
    }
    Request.Builder request =
        new Request.Builder()
            .url(url.build())
            .method(method, requestBody)
            .header("Accept", "application/json");
    ClusterPosition min = positions.current();
    if (min != null) {
      request.header(CryptoHeaders.MIN_POSITION, min.toString());
    }
    if (primary) {
      request.header(CryptoHeaders.READ_FROM, CryptoHeaders.PRIMARY);
    }
    Request built = request.build();
    Answer a = send(built, limit, turn);
    T decoded = decode(built, a, answer);
    if (a.position != null) {
      reported(a.position);
    }
    return decoded;
  }

  /** Raises the cluster's position to what an answer reported (ignored when malformed). */
  private void reported(String header) {
    try {
      if (!positions.advance(ClusterPosition.parse(header))) {
        LOG.log(
            System.Logger.Level.WARNING,
            name + " reported a log position of another cluster than " + positions.clusterId());
      }
    } catch (IllegalArgumentException e) {
      LOG.log(System.Logger.Level.WARNING, name + ": ignoring a malformed log position");
    }
  }

  private record Answer(int status, byte[] body, String position) {}

  private Answer send(Request request, Duration limit, boolean turn) throws TransportException {
    if (calls == null || !turn) {
      return sendNow(request, limit);
    }
    long started = System.nanoTime();
    takeTurn(request, limit);
    try {
      // the time limit covers the wait for a turn as well (zero: none, so at least 1 ns is left)
      return sendNow(
          request,
          limit.isZero()
              ? limit
              : Duration.ofNanos(Math.max(1, limit.toNanos() - (System.nanoTime() - started))));
    } finally {
      calls.release();
    }
  }

  /**
   * Waits until fewer than {@code maxConnections} calls are under way to this member (at most
   * {@code limit}, unbounded when zero).
   */
  private void takeTurn(Request request, Duration limit) throws TransportException {
    boolean taken;
    try {
      if (limit.isZero()) {
        calls.acquire();
        taken = true;
      } else {
        taken = calls.tryAcquire(limit.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransportException(
          Kind.INTERRUPTED,
          name + ": " + request.method() + " " + request.url().encodedPath() + " interrupted",
          e,
          false,
          false);
    }
    if (!taken) {
      throw new TransportException(
          Kind.BUSY,
          name
              + ": "
              + request.method()
              + " "
              + request.url().encodedPath()
              + " not sent: "
              + maxCalls
              + " calls were under way to this member, the most at once over HTTP/1.1"
              + " (TransportOptions.maxConnections), and none ended within "
              + limit.toMillis()
              + " ms",
          null,
          false,
          false);
    }
  }

  private Answer sendNow(Request request, Duration limit) throws TransportException {
    try {
      return sendOnce(request, limit);
    } catch (TransportException e) {
      if (!(e.getCause() instanceof PooledConnectionCheck.Closed) || closed) {
        throw e;
      }
      // the member had closed the pooled connection (it stopped, restarted or found it idle) and
      // nothing was sent: once more, over a fresh connection (the other idle ones were evicted)
      return sendOnce(request, limit);
    }
  }

  private Answer sendOnce(Request request, Duration limit) throws TransportException {
    CallTracker tracker = new CallTracker();
    Call call = http.newCall(request.newBuilder().tag(CallTracker.class, tracker).build());
    if (!limit.isZero()) {
      call.timeout().timeout(limit.toNanos(), TimeUnit.NANOSECONDS);
    }
    // recovery may give up on this attempt (another member answered, or the deadline passed):
    // cancelling closes the connection, which is never reused
    AttemptScope scope = AttemptScope.current();
    scope.onAbandon(call::cancel);
    try (Response r = call.execute()) {
      return new Answer(r.code(), readBody(r.body()), r.header(CryptoHeaders.LOG_POSITION));
    } catch (IOException caught) {
      IOException e = scope.abandoned() ? caught : diagnose(caught, tracker);
      if (WireFailures.transientFailure(e) && (!scope.abandoned() || scope.memberSuspect())) {
        // idle connections may be as broken as this one was: the next call opens a fresh one
        // (not when the member was only slower than another: it is not suspect)
        http.connectionPool().evictAll();
      }
      throw failure(request, tracker, e);
    }
  }

  /**
   * A fresh TLS connection that broke before any answer may be the member refusing this client's
   * certificate (TLS 1.3 reports it after the client's handshake ends): ask once more and, if so,
   * report the refusal itself, with the broken connection attached.
   */
  private IOException diagnose(IOException e, CallTracker tracker) {
    if (probe == null
        || !tracker.handshakeDone()
        || tracker.answered()
        || WireFailures.isTls(e)
        || !TlsRefusalProbe.looksDropped(e)) {
      return e;
    }
    javax.net.ssl.SSLException refusal = probe.refusal();
    if (refusal == null) {
      return e;
    }
    refusal.addSuppressed(e);
    return refusal;
  }

  private TransportException failure(Request request, CallTracker tracker, IOException e) {
    String what = request.method() + " " + request.url().encodedPath();
    // an interrupted caller (okio checks the thread between reads and writes) says nothing of the
    // member
    Kind kind =
        Thread.currentThread().isInterrupted()
            ? Kind.INTERRUPTED
            : WireFailures.kindOf(e, tracker.connected());
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    String hint;
    switch (kind) {
      case TLS:
        hint =
            "; the TLS handshake failed: check that the CA file holds this cluster's CA, that"
                + " the client certificate was issued by this cluster (keyring-register) and is"
                + " not revoked, and that the member's certificate names the configured server"
                + " name";
        break;
      case CONNECT:
        hint = "; no connection could be made: is the member up and its crypto port right?";
        break;
      default:
        hint = "";
    }
    return new TransportException(
        kind,
        name + ": " + what + " failed: " + reason + hint,
        e,
        tracker.requestStarted(),
        !closed && kind != Kind.INTERRUPTED && WireFailures.transientFailure(e));
  }

  private static byte[] readBody(ResponseBody body) throws IOException {
    long declared = body.contentLength();
    if (declared > MAX_ANSWER_BYTES) {
      throw new java.net.ProtocolException(
          "the answer declares " + declared + " bytes, more than " + MAX_ANSWER_BYTES);
    }
    try (InputStream in = body.byteStream()) {
      byte[] b = in.readNBytes(MAX_ANSWER_BYTES + 1);
      if (b.length > MAX_ANSWER_BYTES) {
        throw new java.net.ProtocolException(
            "the answer is longer than " + MAX_ANSWER_BYTES + " bytes");
      }
      return b;
    }
  }

  private <T> T decode(Request request, Answer a, Class<T> type) throws TransportException {
    String what = request.method() + " " + request.url().encodedPath();
    if (a.status >= 200 && a.status < 300) {
      if (type == Void.class) {
        return null;
      }
      if (a.body.length == 0) {
        throw new TransportException(
            Kind.PROTOCOL, name + ": " + what + " answered HTTP " + a.status + " with no body");
      }
      try {
        return JSON.readValue(a.body, type);
      } catch (IOException e) {
        throw new TransportException(
            Kind.PROTOCOL,
            name
                + ": "
                + what
                + " answered something that is not a "
                + type.getSimpleName()
                + ": "
                + (e instanceof JsonProcessingException
                    ? ((JsonProcessingException) e).getOriginalMessage()
                    : e.getMessage()),
            e);
      }
    }
    ErrorResponse error = null;
    if (a.body.length > 0) {
      try {
        error = JSON.readValue(a.body, ErrorResponse.class);
      } catch (IOException notAnError) {
        error = null;
      }
    }
    if (error == null || error.error() == null || error.error().code() == null) {
      throw new TransportException(
          Kind.PROTOCOL,
          name
              + ": "
              + what
              + " answered HTTP "
              + a.status
              + " without the wire error body; is this a Keyring member's crypto port?");
    }
    throw error.toException();
  }

  /** Open connections (in use or idle) in the pool. */
  public int connectionCount() {
    return http.connectionPool().connectionCount();
  }

  /** Idle connections in the pool. */
  public int idleConnectionCount() {
    return http.connectionPool().idleConnectionCount();
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return closed;
  }

  /** The member this transport talks to, for messages. */
  @Override
  public String name() {
    return name;
  }

  /**
   * Refuses new calls and closes the pooled connections. Calls under way finish; their connections
   * close when released.
   */
  @Override
  public void close() {
    closed = true;
    http.connectionPool().evictAll();
    http.dispatcher().executorService().shutdown();
  }
}
