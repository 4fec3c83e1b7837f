package dev.keyring.sim.channel;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelTls;
import dev.keyring.protocol.time.Ticker;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's crypto channel listener: mutual TLS (the crypto API's own context, so the same cluster
 * CA, client certificates and revocation check) on plain JDK sockets with TCP_NODELAY. Each
 * connection has a reader and a writer thread ({@link ChannelConnection}); requests are served by
 * one pool of workers shared by every connection, which take turns ({@link WorkerShare}), each
 * connection holding at most {@link ChannelSettings#maxInFlight()} of them; a request that comes
 * alone on its connection is served by the connection's reader (see {@link ChannelConnection}). A
 * watchdog on the member's ticker closes idle connections and those whose client stopped reading.
 */
public final class ChannelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelServer.class);

  /**
   * The system property that, set to {@code false}, sends every request to the shared workers and
   * every answer through the connection's writer, even a request that comes alone: a switch to
   * measure what serving on the reader saves, not a tuning knob.
   */
  public static final String INLINE_PROPERTY = "keyring.member.channel.inline";

  /**
   * The system property giving, in whole microseconds (0 to 1,000; default 50), how long a
   * connection's reader waits for its client's next request spinning on the CPU before it sleeps in
   * a read, when that client's last request came within as long; 0 never spins. It is the default
   * of the member's {@code channelSpinMicros} setting, which a member's configuration file sets.
   */
  public static final String SPIN_PROPERTY = "keyring.member.channel.spinMicros";

  /** The default of {@value #SPIN_PROPERTY}, in microseconds. */
  static final long DEFAULT_SPIN_MICROS = 200;

  /** A request with more data than this is never served on a reader. */
  static final int QUICK_DATA_BYTES = 16 << 10;

  /** The longest a TLS handshake and hello may take. */
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private final ServerSocket server;
  private final SSLContext context;
  private final ChannelService service;
  private final ChannelSettings settings;
  private final Ticker ticker;
  private final ThreadPoolExecutor workers;
  private final ScheduledExecutorService watchdog;
  private final Set<ChannelConnection> connections = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<BigInteger, Integer> perClient = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ChannelConnection, BigInteger> admitted =
      new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong requests =
      new java.util.concurrent.atomic.AtomicLong();
  private final boolean inline;
  private final long spinNanos;

  /**
   * Readers spinning at once, of every member in this JVM: at most one per processor. An embedded
   * cluster's members share them, so that its readers spin on no more cores than there are.
   */
  private static final java.util.concurrent.Semaphore SPINNERS =
      new java.util.concurrent.Semaphore(Runtime.getRuntime().availableProcessors());

  private final java.util.concurrent.atomic.AtomicLong servedOnReader =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean closed;

  private ChannelServer(
      ServerSocket server,
      SSLContext context,
      ChannelService service,
      ChannelSettings settings,
      Ticker ticker,
      boolean inline,
      long spinMicros) {
    this.inline = inline;
    this.spinNanos = spinMicros * 1000;
    this.server = server;
    this.context = context;
    this.service = service;
    this.settings = settings;
    this.ticker = ticker;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            settings.workers(),
            settings.workers(),
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "keyring-channel-worker-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keyring-channel-watchdog");
              t.setDaemon(true);
              return t;
            });
    long period =
        Math.max(
            50,
            Math.min(
                1000,
                Math.min(settings.writeTimeout().toMillis(), settings.idleTimeout().toMillis())
                    / 4));
    watchdog.scheduleWithFixedDelay(this::watch, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Listens on {@code settings}' address and port with the TLS {@code context} (client certificates
   * required) and serves requests through {@code service}.
   */
  public static ChannelServer start(
      SSLContext context, ChannelSettings settings, ChannelService service, Ticker ticker)
      throws IOException {
    Objects.requireNonNull(service, "service");
    // plain TCP underneath, TLS layered per connection: closing the plain socket ends a connection
    // at once even while a thread is blocked writing to a client that does not read; its reads are
    // buffered (ChannelSocket): one system call per TLS record instead of two
    // the switches first: a bad value refuses the start before any port is bound
    boolean inline = inlineProperty();
    long spinMicros = settings.spinMicros();
    ServerSocket s = new dev.keyring.protocol.channel.ChannelSocket.Listening();
    try {
      s.setReuseAddress(true);
      s.bind(
          new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()),
          128);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    ChannelServer c = new ChannelServer(s, context, service, settings, ticker, inline, spinMicros);
    Thread acceptor = new Thread(c::acceptLoop, "keyring-channel-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    return c;
  }

  /** The port listened on. */
  public int port() {
    return server.getLocalPort();
  }

  /** Connections open now. */
  public int connectionCount() {
    return connections.size();
  }

  /** Requests read since the server started (pings included, refusals of bad frames not). */
  public long requests() {
    return requests.get();
  }

  /**
   * Bytes the open connections hold for their clients now: requests admitted and not yet served,
   * bounds on their answers, answers not yet written (see {@link HeldBytes}).
   */
  public long heldBytes() {
    long n = 0;
    for (ChannelConnection c : connections) {
      n += c.heldBytes();
    }
    return n;
  }

  /**
   * The most bytes one open connection holds now beyond what it borrowed from the member's budget
   * (its own share, {@link HeldBytes#FREE_BYTES}, unless a write's answer outgrew its bound). Each
   * connection's figure is taken at one instant, unlike a sum of {@link #heldBytes()}'s, whose
   * terms are read one after another while bytes move between connections.
   */
  public long mostOwnBytes() {
    long most = 0;
    for (ChannelConnection c : connections) {
      most = Math.max(most, c.ownBytes());
    }
    return most;
  }

  /** Requests served on their connection's reader since the server started (pings not counted). */
  public long servedOnReader() {
    return servedOnReader.get();
  }

  void servedOnReaderCounted() {
    servedOnReader.incrementAndGet();
  }

  /** Whether {@code r} carries at most {@link #QUICK_DATA_BYTES} of data. */
  static boolean small(dev.keyring.protocol.channel.ChannelRequest r) {
    return r.data == null || r.data.length <= QUICK_DATA_BYTES;
  }

  /**
   * Whether {@code r}'s mechanism is quick: elliptic-curve, EdDSA, AES or HMAC (tens of
   * microseconds). RSA is not: its private-key operations take hundreds of microseconds, which on a
   * reader would hold back the connection's other requests that the workers serve side by side.
   */
  static boolean quick(dev.keyring.protocol.channel.ChannelRequest r) {
    if (r.mechanism == null || !small(r)) {
      return false;
    }
    switch (r.mechanism) {
      case CKM_ECDSA:
      case CKM_ECDSA_SHA256:
      case CKM_ECDSA_SHA384:
      case CKM_ECDSA_SHA512:
      case CKM_EDDSA:
      case CKM_AES_GCM:
      case CKM_AES_CBC_PAD:
      case CKM_SHA256_HMAC:
      case CKM_SHA384_HMAC:
      case CKM_SHA512_HMAC:
        return true;
      default:
        return false;
    }
  }

  /** How long a reader may spin for its client's next request; 0 never. */
  long spinNanos() {
    return spinNanos;
  }

  /** Takes one of the spinning slots; false when every one is taken. */
  static boolean startSpin() {
    return SPINNERS.tryAcquire();
  }

  static void endSpin() {
    SPINNERS.release();
  }

  /**
   * {@value #SPIN_PROPERTY} in microseconds: {@value #DEFAULT_SPIN_MICROS} unless set.
   *
   * @throws IllegalArgumentException when it is not a whole number from 0 to 1,000
   */
  public static long spinProperty() {
    return dev.keyring.protocol.SystemProperties.wholeNumber(
        SPIN_PROPERTY, DEFAULT_SPIN_MICROS, 1000, "microseconds");
  }

  /** Whether a request that comes alone is served on its connection's reader. */
  boolean inline() {
    return inline;
  }

  /**
   * {@value #INLINE_PROPERTY}: true unless it says {@code false}.
   *
   * @throws IllegalArgumentException when it is neither {@code true} nor {@code false}
   */
  public static boolean inlineProperty() {
    return dev.keyring.protocol.SystemProperties.flag(INLINE_PROPERTY, true);
  }

  void counted() {
    requests.incrementAndGet();
  }

  ChannelService service() {
    return service;
  }

  ChannelSettings settings() {
    return settings;
  }

  Ticker ticker() {
    return ticker;
  }

  ThreadPoolExecutor workers() {
    return workers;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket accepted;
      try {
        accepted = server.accept();
      } catch (SocketException e) {
        return; // closed
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("the crypto channel could not accept a connection: {}", e.toString());
        }
        continue;
      }
      if (connections.size() >= settings.maxConnections()) {
        LOG.warn(
            "crypto channel: {} connections open, the most allowed; closing one from {}",
            settings.maxConnections(),
            accepted.getRemoteSocketAddress());
        closeQuietly(accepted);
        continue;
      }
      SSLSocket socket;
      try {
        accepted.setTcpNoDelay(true);
        accepted.setKeepAlive(true);
        socket =
            (SSLSocket)
                context.getSocketFactory().createSocket(accepted, null, accepted.getPort(), true);
        socket.setUseClientMode(false);
        socket.setNeedClientAuth(true);
        ChannelTls.apply(socket);
      } catch (IOException | RuntimeException e) {
        closeQuietly(accepted);
        continue;
      }
      ChannelConnection c = new ChannelConnection(this, accepted, socket);
      connections.add(c);
      if (closed) {
        c.goAway(); // accepted as the member began to stop, after close() told the others
      }
      Thread reader = new Thread(c::run, "keyring-channel-reader");
      reader.setDaemon(true);
      reader.start();
    }
  }

  private void watch() {
    long now = ticker.nanoTime();
    for (ChannelConnection c : connections) {
      c.watch(now);
    }
  }

  void closed(ChannelConnection c) {
    connections.remove(c);
    BigInteger serial = admitted.remove(c);
    if (serial != null) {
      perClient.computeIfPresent(serial, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  /**
   * Counts connection {@code c} of the client with certificate {@code client}, before its hello is
   * answered; null, or the refusal when that client already holds {@link
   * ChannelSettings#maxConnectionsPerClient()} connections ({@code CKR_DEVICE_MEMORY}) or the
   * member is stopping ({@code CKR_DEVICE_REMOVED}): nothing counted then; the caller refuses and
   * closes it.
   */
  ChannelHello.Refusal admit(ChannelConnection c, X509Certificate client) {
    BigInteger serial = client.getSerialNumber();
    boolean[] counted = new boolean[1];
    perClient.compute(
        serial,
        (k, n) -> {
          int now = n == null ? 0 : n;
          counted[0] = now < settings.maxConnectionsPerClient();
          return counted[0] ? now + 1 : n;
        });
    if (!counted[0]) {
      return new ChannelHello.Refusal(
          ResultCode.CKR_DEVICE_MEMORY,
          "this client already has "
              + settings.maxConnectionsPerClient()
              + " crypto channel connections open to this member, the most one client may"
              + " (channelMaxConnectionsPerClient); close some, or use fewer at once");
    }
    admitted.put(c, serial);
    if (closed) {
      // the stop began (it closes at once each connection it finds not admitted yet): this hello
      // is refused, so the client knows at once that it sent nothing here
      closed(c);
      return new ChannelHello.Refusal(ResultCode.CKR_DEVICE_REMOVED, NOT_ADMITTED);
    }
    if (c.isClosed()) {
      closed(c); // closed meanwhile (revoked): not counted after all
    }
    return null;
  }

  /**
   * Ends every connection of the client with certificate {@code serial} (revoked): each is refused
   * with a frame of id 0 ({@code CKR_FUNCTION_REJECTED}, saying why), reads nothing more, and is
   * closed once the refusal is written (at most {@link Linger#MAX_MILLIS} later); how many.
   */
  public int closeConnectionsOf(BigInteger serial) {
    int n = 0;
    for (ChannelConnection c : connections) {
      if (c.presented(serial)) {
        c.refuseConnection(ResultCode.CKR_FUNCTION_REJECTED, REVOKED);
        n++;
      }
    }
    return n;
  }

  static final String REVOKED =
      "this client's certificate has been revoked; register the client again";

  /**
   * The longest {@link #close()} waits for the requests under way to be answered before it drops
   * them.
   */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  /**
   * What the goodbye (a frame of id 0, {@code CKR_DEVICE_REMOVED}) of a member that stops says:
   * every request of the connection left without an answer was not served.
   */
  static final String STOPPING =
      "the member is stopping: the requests of this connection left without an answer were not"
          + " served; send them to another member";

  /** The refusal of a hello that comes once the member began to stop. */
  static final String NOT_ADMITTED =
      "the member is stopping: it takes no new crypto channel connection; connect to another"
          + " member";

  /**
   * Stops cleanly: stops listening, serves no request read from now on, waits (at most {@link
   * #STOP_GRACE}) until the requests under way are answered, then ends each connection with a
   * goodbye ({@link #STOPPING}) after its last answer, so that its client knows every request left
   * without an answer was not served, and may send it elsewhere, a write included. A connection
   * whose requests are still under way after the grace is closed without a goodbye (its client
   * cannot tell whether they were served).
   */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    for (ChannelConnection c : connections) {
      c.goAway();
      if (!admitted.containsKey(c)) {
        // in its handshake or hello: it carried no request, and could not be told before its
        // hello; one admitted from now on is refused instead (admit)
        c.close("the member stopped before the connection's hello");
      }
    }
    long deadline = System.nanoTime() + STOP_GRACE.toNanos();
    while (connections.stream().anyMatch(c -> c.owed() > 0) && pausedBefore(deadline)) {
      // answers still to come
    }
    for (ChannelConnection c : connections) {
      if (c.owed() == 0) {
        c.refuseConnection(ResultCode.CKR_DEVICE_REMOVED, STOPPING);
      } else {
        c.close("the member stopped with requests of this connection under way");
      }
    }
    // the goodbyes written before the member goes on stopping (a process may end then)
    deadline = System.nanoTime() + Linger.MAX_MILLIS * 1_000_000L;
    while (!connections.stream().allMatch(ChannelConnection::ended) && pausedBefore(deadline)) {
      // goodbyes still to be written
    }
    for (ChannelConnection c : connections) {
      if (!c.ended()) {
        c.close("its goodbye was not written within " + Linger.MAX_MILLIS + " ms");
      }
    }
    watchdog.shutdownNow();
    workers.shutdownNow();
  }

  /**
   * Sleeps a millisecond; false, without sleeping, once {@code deadline} is past or on interrupt.
   */
  private static boolean pausedBefore(long deadline) {
    if (System.nanoTime() - deadline >= 0) {
      return false;
    }
    try {
      Thread.sleep(1);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing
    }
  }
}
