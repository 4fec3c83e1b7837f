package dev.keyring.client.internal.routing;

import dev.keyring.client.api.MemberState;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.DeferredCloses;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.RoutedMember;
import dev.keyring.client.internal.transport.ChannelMemberChannel;
import dev.keyring.client.internal.transport.HttpMemberChannel;
import dev.keyring.client.internal.transport.HttpTransport;
import dev.keyring.client.internal.transport.MemberTransports;
import dev.keyring.protocol.wire.CryptoMessages;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client's link to one member: its transport and the channel over it, what the cluster view
 * says about it, whether it is up, and its request and session counts. The transport and address
 * never change; a member that moves to another address gets a new link.
 *
 * <p>With the {@link TransportOptions.Wire#CHANNEL} wire, calls go over the member's binary crypto
 * channel once the view lists its channel port (before that, and for a member that lists none, over
 * HTTP); the HTTP transport still carries the router's own calls (view, health probes).
 */
public final class MemberLink implements RouteCandidate, RoutedMember {
  private static final System.Logger LOG = System.getLogger(MemberLink.class.getName());

  private final HttpTransport transport;
  private final HttpMemberChannel channel;
  private final MemberTransports transports;
  private final boolean wantChannel;
  private volatile ChannelMemberChannel binary;
  private volatile boolean noChannelLogged;
  private final String host;
  private final int port;
  private final String expectedName;
  private final boolean registered;
  private volatile CryptoMessages.ClusterMember info;
  private volatile boolean up = true;
  private volatile boolean removed;
  private volatile String downReason;
  private final AtomicInteger failedProbes = new AtomicInteger();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicInteger sessions = new AtomicInteger();
  private final DeferredCloses deferredCloses = new DeferredCloses();
  // the last closing round started for them, if any
  private volatile Thread closing;

  MemberLink(
      HttpTransport transport, String host, int port, String expectedName, boolean registered) {
    this(transport, null, null, host, port, expectedName, registered);
  }

  MemberLink(
      HttpTransport transport,
      MemberTransports transports,
      TransportOptions options,
      String host,
      int port,
      String expectedName,
      boolean registered) {
    this.transport = transport;
    this.transports = transports;
    this.wantChannel = options != null && options.wire() == TransportOptions.Wire.CHANNEL;
    this.channel = new HttpMemberChannel(transport);
    this.host = host;
    this.port = port;
    this.expectedName = expectedName;
    this.registered = registered;
  }

  /** The transport to the member, for the router's own calls (view, health probes) and figures. */
  public HttpTransport transport() {
    return transport;
  }

  /**
   * The member's binary channel when the view listed its port and the last attempt to connect to it
   * did not fail, else its HTTP channel: a member restarted on another channel port (the default
   * port is any free one) is served over HTTP until the next view names the new port.
   */
  @Override
  public MemberChannel channel() {
    ChannelMemberChannel b = binary;
    return b != null && b.reachable() ? b : channel;
  }

  /** Whether this is the member the configuration names. */
  public boolean registered() {
    return registered;
  }

  /** The member's id from the view, or null before the view named it. */
  public String memberId() {
    CryptoMessages.ClusterMember i = info;
    return i == null ? null : i.memberId();
  }

  /** The member's name from the view, or the name its certificate must carry until then. */
  public String name() {
    CryptoMessages.ClusterMember i = info;
    return i == null ? expectedName : i.name();
  }

  String host() {
    return host;
  }

  int port() {
    return port;
  }

  /** {@code host:port}, with brackets for IPv6. */
  public String server() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** How messages name this member: {@code member name (host:port)}. */
  @Override
  public String describe() {
    return "member " + name() + " (" + server() + ")";
  }

  @Override
  public String group() {
    CryptoMessages.ClusterMember i = info;
    return i == null ? null : i.group();
  }

  @Override
  public boolean readOnly() {
    CryptoMessages.ClusterMember i = info;
    return i != null && i.readOnly();
  }

  @Override
  public boolean primary() {
    CryptoMessages.ClusterMember i = info;
    return i != null && i.primary();
  }

  boolean visible() {
    CryptoMessages.ClusterMember i = info;
    return i == null || i.visible();
  }

  @Override
  public boolean up() {
    return up && !removed;
  }

  @Override
  public int outstanding() {
    return outstanding.get();
  }

  /** Whether a newer view no longer lists this member: its sessions are dropped. */
  public boolean removed() {
    return removed;
  }

  void update(CryptoMessages.ClusterMember fresh) {
    this.info = fresh;
    if (!wantChannel || removed) {
      return;
    }
    ChannelMemberChannel b = binary;
    if (fresh.channelPort() <= 0) {
      if (b != null) {
        binary = null;
        b.close();
      }
      if (!noChannelLogged) {
        noChannelLogged = true;
        LOG.log(
            System.Logger.Level.INFO,
            describe() + " lists no crypto channel port; its calls go over HTTP");
      }
      return;
    }
    if (b != null && b.port() == fresh.channelPort()) {
      b.retry(); // the view still lists it: try it again
    } else {
      // the view's name for the certificate check; the configured host for the registered member
      binary = transports.openChannel(host, fresh.channelPort(), expectedName, describe());
      if (b != null) {
        b.close();
      }
      LOG.log(
          System.Logger.Level.INFO,
          describe() + ": crypto calls go over its crypto channel, port " + fresh.channelPort());
    }
  }

  void remove() {
    removed = true;
    close();
  }

  /** Closes the member's transport and channel. */
  void close() {
    transport.close();
    ChannelMemberChannel b = binary;
    if (b != null) {
      b.close();
    }
  }

  /** A request is sent to this member; {@link #end} must follow in a {@code finally}. */
  @Override
  public void begin() {
    outstanding.incrementAndGet();
  }

  /** The request ended; {@code answered} when the member answered (a result or a refusal). */
  @Override
  public void end(boolean answered) {
    outstanding.decrementAndGet();
    if (answered) {
      completed.incrementAndGet();
    }
  }

  /** Marks the member down; true if it was up. */
  boolean markDown(String reason) {
    downReason = reason;
    failedProbes.set(0);
    boolean was = up;
    up = false;
    return was;
  }

  /** Brings the member back; true if it was down. */
  boolean markUp() {
    boolean was = up;
    up = true;
    downReason = null;
    failedProbes.set(0);
    return !was;
  }

  String downReason() {
    return downReason;
  }

  int failedProbes() {
    return failedProbes.get();
  }

  void probeFailed() {
    failedProbes.incrementAndGet();
  }

  @Override
  public void sessionOpened() {
    sessions.incrementAndGet();
  }

  @Override
  public void sessionClosed() {
    sessions.decrementAndGet();
  }

  @Override
  public void closeWhenBack(String sessionId) {
    // the member may have been brought back since the caller saw it down, and the probe that did
    // it may have found nothing to close yet: then the closing starts here (a session taken by
    // both is closed once)
    if (deferredCloses.add(sessionId) && up()) {
      closeDeferredSessions();
    }
  }

  /** The sessions let go while the member was down, for tests. */
  DeferredCloses deferredCloses() {
    return deferredCloses;
  }

  /**
   * Another round for sessions that wait although the member is up: a close that failed while
   * routing still had the member up (the failure that marks it down comes after), or whose round
   * began before a probe brought the member back and failed after, waits for nothing else. The
   * router's background work calls this every recovery interval; a round under way is left alone.
   */
  void retryDeferredCloses() {
    Thread t = closing;
    if (up() && (t == null || !t.isAlive())) {
      closeDeferredSessions();
    }
  }

  /**
   * Closes the sessions let go while the member was down ({@link DeferredCloses}), on a thread of
   * its own: a member that stops answering again holds up none of the router's background work.
   */
  void closeDeferredSessions() {
    if (deferredCloses.pending() > 0) {
      Thread t =
          new Thread(
              () -> deferredCloses.closeAll(describe(), channel()), "keyring-deferred-closes");
      t.setDaemon(true);
      closing = t;
      t.start();
    }
  }

  /**
   * The last round for the sessions let go on {@code links}, as the client closes: each member with
   * sessions waiting (whether routing has it up or down: it may answer again before its next probe)
   * is asked to close them, and the closings under way are awaited, all together at most {@code
   * max}; what is left then is closed by the members' idle timeout.
   */
  static void closeLetGoSessions(List<MemberLink> links, Duration max) {
    for (MemberLink m : links) {
      m.closeDeferredSessions();
    }
    long deadline = System.nanoTime() + max.toNanos();
    for (MemberLink m : links) {
      Thread t = m.closing;
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (t == null || left <= 0) {
        continue;
      }
      try {
        t.join(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The figures of this member now. */
  public MemberState state() {
    CryptoMessages.ClusterMember i = info;
    return new MemberState(
        i == null ? null : i.memberId(),
        name(),
        server(),
        i == null ? null : i.group(),
        i != null && i.primary(),
        i != null && i.readOnly(),
        i == null || i.visible(),
        registered,
        up(),
        outstanding.get(),
        completed.get(),
        sessions.get());
  }

  @Override
  public String toString() {
    return describe()
        + (group() == null ? "" : " group " + group())
        + (readOnly() ? " read-only" : "")
        + (up() ? " up" : " down" + (downReason == null ? "" : " (" + downReason + ")"));
  }
}
