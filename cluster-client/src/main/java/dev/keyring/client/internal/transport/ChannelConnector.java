package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.AttemptScope;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The crypto channel connection of one {@link ChannelMemberChannel}: the open one, or one being
 * made.
 *
 * <p>A connection is made on a thread of its own, one at a time per member: calls that need it
 * meanwhile wait for the same one and share its failure (one handshake timeout, not one per
 * caller). A caller waits abandonably: when recovery gives up its attempt (a hedge answered first,
 * or the member passed its answer deadline; a paused member accepts the TCP connection and never
 * answers the TLS handshake), it stops waiting at once ({@link AttemptScope#onAbandon}), and the
 * connection goes on to its end, at most {@link TransportOptions#connectTimeout()}, and is kept for
 * the next call when it succeeds. Without this, a caller waited for the handshake under a lock no
 * abandon reached, and the callers behind it each waited for their own.
 */
final class ChannelConnector {
  private final ClientTls tls;
  private final TransportOptions options;
  private final String host;
  private final int port;
  private final String memberName;
  private final String name;
  private final boolean extra; // not the member's first connection: closed when long unused
  private final Object lock = new Object();
  private volatile ChannelWire wire;
  // guarded by lock: the connection being made, or null
  private CompletableFuture<ChannelWire> connecting;
  private volatile boolean closed;
  private volatile boolean unreachable;

  ChannelConnector(
      ClientTls tls,
      TransportOptions options,
      String host,
      int port,
      String memberName,
      String name,
      boolean extra) {
    this.extra = extra;
    this.tls = tls;
    this.options = options;
    this.host = host;
    this.port = port;
    this.memberName = memberName;
    this.name = name;
  }

  /**
   * False once a connection could not be made ({@link Kind#CONNECT}); {@link #retry()} clears it.
   */
  boolean reachable() {
    return !unreachable;
  }

  /** Lets the next call try to connect again. */
  void retry() {
    unreachable = false;
  }

  /** Whether a connection is open now. */
  boolean connected() {
    return openWire() != null;
  }

  /**
   * The open connection, or the one being made (started now if none is).
   *
   * @throws TransportException as the connection failed (each caller gets its own exception), or
   *     CONNECT, never sent, when recovery abandoned the calling attempt first
   */
  ChannelWire wire() throws TransportException {
    ChannelWire w = openWire();
    if (w != null) {
      return w;
    }
    CompletableFuture<ChannelWire> c = start();
    return c == null ? wire : await(c);
  }

  /** The open connection, or null when none is open now (none is made). */
  ChannelWire openWire() {
    ChannelWire w = wire;
    return w != null && w.open() ? w : null;
  }

  /**
   * Starts making a connection in the background when none is open or being made, the client is not
   * closed and the last attempt did not find the member unreachable; returns at once.
   */
  void connectSoon() {
    if (openWire() == null && !closed && !unreachable) {
      try {
        start();
      } catch (TransportException e) {
        // closed meanwhile: nothing to make
      }
    }
  }

  /**
   * The connection being made (started now if none is), or null when one is open already.
   *
   * @throws TransportException when this client is closed
   */
  private CompletableFuture<ChannelWire> start() throws TransportException {
    CompletableFuture<ChannelWire> c;
    synchronized (lock) {
      ChannelWire w = wire;
      if (w != null && w.open()) {
        return null;
      }
      if (closed) {
        throw closedFailure();
      }
      c = connecting;
      if (c != null) {
        return c;
      }
      c = new CompletableFuture<>();
      connecting = c;
    }
    CompletableFuture<ChannelWire> mine = c;
    Thread t = new Thread(() -> connect(mine), "keyring-client-channel-connect");
    t.setDaemon(true);
    t.start();
    return c;
  }

  /** Makes the connection {@code c} stands for; runs on a thread of its own. */
  private void connect(CompletableFuture<ChannelWire> c) {
    ChannelWire w = null;
    TransportException failure = null;
    try {
      w =
          ChannelWire.open(
              tls,
              host,
              port,
              memberName,
              name,
              options.connectTimeout(),
              options.heartbeatInterval(),
              options.channelSpin(),
              extra);
    } catch (TransportException e) {
      failure = e;
    } catch (RuntimeException e) {
      failure = new TransportException(Kind.CONNECT, name + ": " + e, e, false, false);
    }
    boolean closedMeanwhile;
    synchronized (lock) {
      connecting = null;
      closedMeanwhile = closed;
      if (w != null && !closedMeanwhile) {
        unreachable = false;
        wire = w;
      } else if (failure != null && failure.kind() == Kind.CONNECT) {
        unreachable = true;
      }
    }
    if (w != null && closedMeanwhile) {
      w.close();
      c.completeExceptionally(closedFailure());
    } else if (w != null) {
      c.complete(w);
    } else {
      c.completeExceptionally(failure);
    }
  }

  /** The connection {@code c} makes; throws at once when recovery abandons the calling attempt. */
  private ChannelWire await(CompletableFuture<ChannelWire> c) throws TransportException {
    AttemptScope scope = AttemptScope.current();
    CompletableFuture<Void> gone = new CompletableFuture<>();
    scope.onAbandon(() -> gone.complete(null));
    try {
      CompletableFuture.anyOf(c, gone).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransportException(
          Kind.INTERRUPTED, name + ": connecting was interrupted", e, false, false);
    } catch (ExecutionException e) {
      // the connection failed: thrown below as this caller's own exception
    }
    if (!c.isDone()) {
      throw new TransportException(
          Kind.CONNECT,
          name
              + ": the attempt was abandoned while the crypto channel connected; the connection"
              + " goes on in the background",
          null,
          false,
          scope.memberSuspect());
    }
    try {
      return c.join();
    } catch (CompletionException | CancellationException e) {
      Throwable f = e.getCause() == null ? e : e.getCause();
      if (f instanceof TransportException) {
        TransportException t = (TransportException) f;
        throw new TransportException(
            t.kind(), t.getMessage(), t, t.requestSent(), t.transientFailure());
      }
      throw new TransportException(Kind.CONNECT, name + ": " + f, f, false, false);
    }
  }

  private TransportException closedFailure() {
    return new TransportException(
        Kind.CONNECT, name + ": this client is closed", null, false, false);
  }

  /** Closes the connection; one being made is closed when it is done. */
  void close() {
    closed = true;
    ChannelWire w = wire;
    if (w != null) {
      w.close();
    }
  }
}
