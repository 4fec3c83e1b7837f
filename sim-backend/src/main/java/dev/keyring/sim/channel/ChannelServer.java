package dev.keyring.sim.channel;

import dev.keyring.protocol.time.Ticker;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
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
 * one pool of workers shared by every connection in arrival order, each connection holding at most
 * {@link ChannelSettings#maxInFlight()} of them. A watchdog on the member's ticker closes idle
 * connections and those whose client stopped reading.
 */
public final class ChannelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelServer.class);

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
  private final java.util.concurrent.atomic.AtomicLong requests =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean closed;

  private ChannelServer(
      ServerSocket server,
      SSLContext context,
      ChannelService service,
      ChannelSettings settings,
      Ticker ticker) {
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
    // at once even while a thread is blocked writing to a client that does not read
    ServerSocket s = new ServerSocket();
    try {
      s.setReuseAddress(true);
      s.bind(
          new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()),
          128);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    ChannelServer c = new ChannelServer(s, context, service, settings, ticker);
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
        socket.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      } catch (IOException | RuntimeException e) {
        closeQuietly(accepted);
        continue;
      }
      ChannelConnection c = new ChannelConnection(this, accepted, socket);
      connections.add(c);
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
  }

  /** Closes every connection of the client with certificate {@code serial}; how many. */
  public int closeConnectionsOf(BigInteger serial) {
    int n = 0;
    for (ChannelConnection c : connections) {
      if (c.presented(serial)) {
        c.close("the client's certificate was revoked");
        n++;
      }
    }
    return n;
  }

  /** Stops listening and closes every connection; requests under way are dropped. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    for (ChannelConnection c : connections) {
      c.close(null);
    }
    watchdog.shutdownNow();
    workers.shutdownNow();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing
    }
  }
}
