package dev.keyring.testing.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A TCP proxy on loopback that tests put on a link (client to member, member to member) to cut,
 * silence, slow down and restore it. Bytes are forwarded unchanged, so TLS passes through.
 *
 * <ul>
 *   <li>{@link #cut()}: every open connection is reset and new ones are closed at once (a member
 *       that went away, a firewall that rejects);
 *   <li>{@link #blackhole()}: connections stay open but nothing is forwarded either way (a
 *       partition where packets are lost, found only by timeouts);
 *   <li>{@link #delay(Duration)}: every chunk is held this long before it is forwarded;
 *   <li>{@link #cutShortDown(int)}: the next chunk toward the client is forwarded cut short, and
 *       nothing after it either way (an answer that stops arriving halfway);
 *   <li>{@link #restore()}: back to forwarding; connections cut before stay closed.
 * </ul>
 *
 * <p>A proxy may carry a {@link #alsoApplyTo companion}: the proxy of another port of the same peer
 * (a member's crypto channel beside its HTTP crypto API), which every fault and restore of this one
 * reaches too, so that one link fault cuts both wires.
 */
public final class FaultProxy implements AutoCloseable {
  /** What the proxy does with traffic. */
  public enum Mode {
    FORWARD,
    CUT,
    BLACKHOLE
  }

  private final ServerSocket listener;
  // where connections go, asked at each accept; null while the target is not listening
  private final Supplier<InetSocketAddress> target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private volatile Mode mode = Mode.FORWARD;
  private volatile long delayNanos;
  private volatile int cutShortDown = -1; // bytes of the next chunk down, then a blackhole
  private volatile boolean closed;
  private volatile FaultProxy companion;

  private FaultProxy(ServerSocket listener, Supplier<InetSocketAddress> target) {
    this.listener = listener;
    this.target = target;
  }

  /** A proxy on a free loopback port forwarding to {@code host:port}. */
  public static FaultProxy start(String host, int port) throws IOException {
    InetSocketAddress fixed = new InetSocketAddress(host, port);
    return start(() -> fixed);
  }

  /**
   * A proxy on a free loopback port forwarding each new connection to the address {@code target}
   * gives at that moment (a member that bound a new port after a restart); while it gives null, new
   * connections are reset, as by a host where nothing listens.
   */
  public static FaultProxy start(Supplier<InetSocketAddress> target) throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    FaultProxy p = new FaultProxy(s, target);
    Thread t = new Thread(p::acceptLoop, "fault-proxy-" + s.getLocalPort());
    t.setDaemon(true);
    t.start();
    return p;
  }

  /** The loopback port clients connect to instead of the target's. */
  public int port() {
    return listener.getLocalPort();
  }

  public Mode mode() {
    return mode;
  }

  /** Connections accepted so far. */
  public long acceptedConnections() {
    return accepted.get();
  }

  /** Connections (both sides counted once each) open now. */
  public int openSockets() {
    return open.size();
  }

  /**
   * Makes every later {@link #cut}, {@link #blackhole}, {@link #delay} and {@link #restore} of this
   * proxy apply to {@code other} as well (one companion; its own calls stay its own). Returns this.
   */
  public FaultProxy alsoApplyTo(FaultProxy other) {
    if (other == this) {
      throw new IllegalArgumentException("a proxy cannot be its own companion");
    }
    this.companion = other;
    return this;
  }

  /** The proxy this one's faults also reach, or null. */
  public FaultProxy companion() {
    return companion;
  }

  /** Resets every open connection and closes new ones at once. */
  public void cut() {
    mode = Mode.CUT;
    for (Socket s : open) {
      closeQuietly(s, true);
    }
    FaultProxy c = companion;
    if (c != null) {
      c.cut();
    }
  }

  /** Keeps connections open but forwards nothing, either way. */
  public void blackhole() {
    mode = Mode.BLACKHOLE;
    FaultProxy c = companion;
    if (c != null) {
      c.blackhole();
    }
  }

  /** Holds every chunk {@code d} before forwarding it (zero: no delay). */
  public void delay(Duration d) {
    delayNanos = d.toNanos();
    FaultProxy c = companion;
    if (c != null) {
      c.delay(d);
    }
  }

  /**
   * Forwards only the first {@code bytes} of the next chunk from the target toward the client, then
   * nothing more either way, as {@link #blackhole()}: the connection stays open with part of an
   * answer delivered.
   */
  public void cutShortDown(int bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be 0 or more, got " + bytes);
    }
    cutShortDown = bytes;
  }

  /** Forwards again, without delay. */
  public void restore() {
    delayNanos = 0;
    cutShortDown = -1;
    mode = Mode.FORWARD;
    FaultProxy c = companion;
    if (c != null) {
      c.restore();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      if (mode == Mode.CUT) {
        closeQuietly(client, true);
        continue;
      }
      InetSocketAddress to;
      try {
        to = target.get();
      } catch (RuntimeException unknown) {
        to = null;
      }
      if (to == null) {
        closeQuietly(client, true);
        continue;
      }
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(to, 5_000);
      } catch (IOException e) {
        closeQuietly(client, true);
        closeQuietly(upstream, false);
        continue;
      }
      open.add(client);
      open.add(upstream);
      pump(client, upstream, "up");
      pump(upstream, client, "down");
    }
  }

  private void pump(Socket from, Socket to, String direction) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  long d = delayNanos;
                  if (d > 0) {
                    Thread.sleep(d / 1_000_000, (int) (d % 1_000_000));
                  }
                  if (mode == Mode.BLACKHOLE) {
                    continue; // lost on the way
                  }
                  if (mode == Mode.CUT) {
                    break;
                  }
                  int cut = cutShortDown;
                  if (cut >= 0 && direction.equals("down")) {
                    cutShortDown = -1;
                    mode = Mode.BLACKHOLE;
                    n = Math.min(n, cut);
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // the other side or a cut closed the connection
              } finally {
                closeQuietly(from, mode == Mode.CUT);
                closeQuietly(to, mode == Mode.CUT);
              }
            },
            "fault-proxy-" + port() + "-" + direction);
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(Socket s, boolean reset) {
    open.remove(s);
    try {
      if (reset && !s.isClosed()) {
        s.setSoLinger(true, 0); // RST, as a vanished peer or a rejecting firewall would
      }
    } catch (SocketException ignored) {
      // already closed
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  /** Stops accepting and closes every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // already closed
    }
    for (Socket s : open) {
      closeQuietly(s, false);
    }
  }

  @Override
  public String toString() {
    return "FaultProxy[127.0.0.1:" + port() + " -> " + target.get() + ", " + mode + "]";
  }
}
