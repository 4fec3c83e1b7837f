package dev.keyring.client.internal.transport;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import javax.net.ssl.SSLSocketFactory;
import okhttp3.Connection;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Response;

/**
 * Before a request goes out on an HTTP/1.1 connection taken from the pool, checks that the member
 * has not closed it: a member that stopped, was killed or restarted, or closed the connection as
 * idle, has sent its end of the stream (a TLS {@code close_notify} before it, when it had the
 * time), and the kernel holds it for the client. OkHttp looks at a pooled connection's socket this
 * way only after 10 s idle, so without this a write would go out on a connection the member no
 * longer reads, fail with "unexpected end of stream", and end uncertain, though the member never
 * saw it.
 *
 * <p>The check reads the plain socket under TLS. First, how many bytes it holds, which costs no
 * wait: on an idle HTTP/1.1 connection the member has nothing to say but goodbye, so any byte is a
 * closed connection. Then, for a connection idle {@link #IDLE_CHECK} or longer, one read with a 1
 * ms timeout, which finds the end of the stream of a member process that was killed (no goodbye)
 * and costs that millisecond on a connection still open; a member process takes longer than {@link
 * #IDLE_CHECK} to be started again. A closed connection is closed here too, and the request refused
 * with {@link Closed} before any byte of it left, so it is safe to send again on a fresh
 * connection, whatever it does; {@link HttpTransport} does that once. A member that stops after the
 * check can still cut the request off: that is the uncertain case it always was.
 *
 * <p>Connections made by the attempt itself are not checked: the member may still be sending its
 * TLS session tickets, which the first answer's read takes. HTTP/2 connections are not checked
 * either: OkHttp reads them all the time and sees the end of the stream at once.
 */
final class PooledConnectionCheck implements Interceptor {
  /** A pooled connection that the member had closed; the request was not sent. */
  static final class Closed extends ConnectException {
    private static final long serialVersionUID = 1L;

    Closed(String message) {
      super(message);
    }
  }

  static final PooledConnectionCheck INSTANCE = new PooledConnectionCheck();

  /** How long a connection must have been idle before the check also reads: 1 s. */
  static final Duration IDLE_CHECK = Duration.ofSeconds(1);

  /** When each pooled connection was last given back to the pool; weak, as the pool drops. */
  private static final Map<Connection, Long> RELEASED =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** The plain socket under each TLS socket the tracking factory made; weak, as the pool drops. */
  private static final Map<Socket, Socket> PLAIN = Collections.synchronizedMap(new WeakHashMap<>());

  private PooledConnectionCheck() {}

  @Override
  public Response intercept(Chain chain) throws IOException {
    Connection c = chain.connection();
    CallTracker tracker = chain.request().tag(CallTracker.class);
    if (c != null
        && c.protocol() == Protocol.HTTP_1_1
        && tracker != null
        && !tracker.madeConnection()) {
      Socket plain = PLAIN.getOrDefault(c.socket(), c.socket());
      Long released = RELEASED.get(c);
      boolean idleLong = released == null || System.nanoTime() - released >= IDLE_CHECK.toNanos();
      String closed = closedByPeer(plain, idleLong);
      if (closed != null) {
        plain.close();
        throw new Closed(
            "the pooled connection to "
                + chain.request().url().host()
                + ":"
                + chain.request().url().port()
                + " was closed by the member ("
                + closed
                + "); the request was not sent");
      }
    }
    return chain.proceed(chain.request());
  }

  /** {@code c} went back to the pool now. */
  static void released(Connection c) {
    RELEASED.put(c, System.nanoTime());
  }

  /**
   * Why the member closed the connection of {@code plain}, or null if it did not: any byte held is
   * a closed connection; and when {@code read}, the end of the stream found by a read of at most 1
   * ms.
   */
  static String closedByPeer(Socket plain, boolean read) {
    try {
      InputStream in = plain.getInputStream();
      if (in.available() > 0) {
        return "it sent bytes while idle";
      }
      if (!read) {
        return null;
      }
      int timeout = plain.getSoTimeout();
      plain.setSoTimeout(1);
      try {
        return in.read() < 0 ? "end of stream" : "it sent bytes while idle";
      } catch (SocketTimeoutException open) {
        return null; // nothing came within the millisecond: still open
      } finally {
        if (!plain.isClosed()) {
          plain.setSoTimeout(timeout);
        }
      }
    } catch (IOException e) {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
  }

  /** {@code tls}, keeping the plain socket under each TLS socket it layers, for the check. */
  static SSLSocketFactory tracking(SSLSocketFactory tls) {
    return new Tracking(tls);
  }

  private static final class Tracking extends SSLSocketFactory {
    private final SSLSocketFactory tls;

    Tracking(SSLSocketFactory tls) {
      this.tls = tls;
    }

    @Override
    public Socket createSocket(Socket plain, String host, int port, boolean autoClose)
        throws IOException {
      Socket s = tls.createSocket(plain, host, port, autoClose);
      PLAIN.put(s, plain);
      return s;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return tls.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return tls.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return tls.createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws IOException {
      return tls.createSocket(host, port, local, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return tls.createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
        throws IOException {
      return tls.createSocket(host, port, local, localPort);
    }
  }
}
