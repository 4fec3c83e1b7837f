package dev.keyring.client.internal.routing;

import dev.keyring.client.api.MemberState;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.MemberRouter;
import dev.keyring.client.channel.RoutedMember;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.internal.transport.MemberTransports;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.protocol.wire.CryptoMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Chooses the members of one cluster for a client's calls ({@link MemberRouter}); what to repeat
 * after a failure is the recovering channel's decision ({@link
 * dev.keyring.client.channel.CallKind}), never this class's.
 *
 * <p><b>View.</b> The cluster view ({@code GET /v1/cluster}) is fetched from the registered member
 * first (then from any other member that is up) on first use, again every {@link
 * TransportOptions#viewRefresh()} on a background daemon thread, and at once after a member
 * failure. A view of an older {@code epoch}, or of the same epoch with an older {@code version},
 * never replaces a newer one (so a replaced primary's view cannot route writes back to it); a view
 * of another cluster is ignored. Until a view arrives, and when a member answers no view, the
 * registered member alone serves. The registered member keeps the address of the configuration; the
 * others are reached at the address the view gives, each through its own transport (same TLS
 * identity, name check against the member's name).
 *
 * <p><b>Selection.</b> {@link AffinityRouter}: the live members of the preferred affinity group
 * ({@link TransportOptions#affinityGroup()}, else the registered member's), fewest outstanding
 * requests first, round robin on ties; other groups only when the whole group is down. Writes go to
 * read-write members only. What only the primary may answer goes to the member the view names
 * primary ({@link #selectPrimary}).
 *
 * <p><b>Read-your-writes.</b> The member transports share the cluster's position ({@link
 * dev.keyring.client.channel.ReadYourWrites}), bound to the cluster id of the first view.
 *
 * <p><b>Members down.</b> A member the channel {@linkplain #markDown marks down} (it failed on the
 * wire) gets no traffic, and a fresh view is asked for.
 *
 * <p><b>Recovery.</b> Every {@link TransportOptions#recoveryInterval()} the background thread
 * probes each member that is down with {@code GET /v1/health}; a success brings it back. After
 * {@link TransportOptions#recoveryRetries()} failed probes (unless -1) it is probed only when a
 * fresh view lists it as visible. When no member can take a call at all, the channel has the down
 * members it has not tried probed ({@link #probeDownMembers}, the same health probe, once) before
 * failing, so a member that is back is used at once rather than after the next background probe;
 * the call's request still goes only to a member whose probe succeeded. The intervals are measured
 * on the injected {@link Ticker}.
 *
 * <p>Thread-safe. The view and member list are one immutable snapshot swapped atomically; callers
 * take no lock.
 */
public final class ClusterRouter implements MemberRouter, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ClusterRouter.class.getName());

  /** How long closing waits at most for the members to close the sessions let go on them. */
  static final Duration LAST_CLOSES = Duration.ofSeconds(2);

  private record Snapshot(CryptoMessages.ClusterView view, List<MemberLink> links) {}

  private final ClusterEntry entry;
  private final TransportOptions options;
  private final MemberTransports transports;
  private final Ticker ticker;
  private final AffinityRouter rule = new AffinityRouter();
  private final AtomicReference<Snapshot> snapshot;
  private final List<MemberLink> retired = new ArrayList<>();
  private final Object viewLock = new Object();
  private final Object startLock = new Object();
  private final AtomicBoolean refreshQueued = new AtomicBoolean();
  private volatile ScheduledExecutorService background;
  private volatile long nextRefresh;
  private volatile long nextRecovery;
  private volatile boolean closed;

  /**
   * A router for the cluster {@code entry} names; reads its TLS files. Nothing is sent and no
   * thread is started until the first call.
   *
   * @throws TransportException of kind CONFIGURATION if a TLS file is unusable
   */
  public ClusterRouter(ClusterEntry entry, TransportOptions options) throws TransportException {
    this(entry, options, Ticker.SYSTEM);
  }

  private ClusterRouter(
      ClusterEntry entry, TransportOptions options, Ticker ticker, MemberTransports transports) {
    this.entry = Objects.requireNonNull(entry, "entry");
    this.options = Objects.requireNonNull(options, "options");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.transports = transports;
    String name = "member " + entry.server() + " (cluster " + entry.indexSuffix() + ")";
    MemberLink seed = link(entry.host(), entry.port(), entry.serverCn(), name, true);
    this.snapshot = new AtomicReference<>(new Snapshot(null, List.of(seed)));
  }

  /** A link to the member at {@code host:port} (its certificate's CN {@code cn}), not yet up. */
  private MemberLink link(String host, int port, String cn, String description, boolean seed) {
    return new MemberLink(
        transports.open(host, port, cn, description), transports, options, host, port, cn, seed);
  }

  /**
   * A router for the cluster {@code entry} names, whose background work reads {@code ticker}; see
   * {@link #ClusterRouter(ClusterEntry, TransportOptions)}.
   */
  public ClusterRouter(ClusterEntry entry, TransportOptions options, Ticker ticker)
      throws TransportException {
    this(entry, options, ticker, MemberTransports.load(entry, options));
  }

  @Override
  public RoutedMember select(boolean write, List<RoutedMember> tried) {
    start();
    Snapshot s = snapshot.get();
    return rule.select(s.links(), preferredGroup(s), write, tried);
  }

  /** The primary of the view; before any view, any member (one that is not primary refuses). */
  @Override
  public RoutedMember selectPrimary(List<RoutedMember> tried) {
    start();
    Snapshot s = snapshot.get();
    return s.view() == null
        ? rule.select(s.links(), preferredGroup(s), false, tried)
        : rule.primary(s.links(), tried);
  }

  @Override
  public boolean probeDownMembers(List<RoutedMember> tried) {
    boolean back = false;
    for (MemberLink m : snapshot.get().links()) {
      if (!m.up() && !m.removed() && !tried.contains(m)) {
        back |= probe(m);
      }
    }
    return back;
  }

  @Override
  public boolean isOpen() {
    return !closed;
  }

  /**
   * The failure when no member fits: CKR_TOKEN_WRITE_PROTECTED (thrown) for a write while some
   * member is up, else a transport failure listing every member's state.
   */
  @Override
  public TransportException noMember(boolean write, String what, List<Exception> failures) {
    Snapshot s = snapshot.get();
    String members = s.links().stream().map(MemberLink::toString).collect(Collectors.joining("; "));
    if (write && s.links().stream().anyMatch(MemberLink::up)) {
      HsmException e =
          new HsmException(
              ResultCode.CKR_TOKEN_WRITE_PROTECTED,
              "no member of cluster "
                  + clusterName(s)
                  + " accepts writes: "
                  + members
                  + ". A member is read-only while it cannot reach the primary; "
                  + what
                  + " is not queued: try again once a member is read-write");
      failures.forEach(e::addSuppressed);
      throw e;
    }
    TransportException last = null;
    for (Exception f : failures) {
      if (f instanceof TransportException) {
        last = (TransportException) f;
      }
    }
    String msg =
        "no member of cluster "
            + clusterName(s)
            + " could serve "
            + what
            + ": "
            + members
            + ". Down members are probed every "
            + human(options.recoveryInterval())
            + " and take traffic again once they answer";
    TransportException out =
        last == null
            ? new TransportException(TransportException.Kind.CONNECT, msg)
            : new TransportException(
                last.kind(), msg + ". Last failure: " + last.getMessage(), last);
    for (Exception f : failures) {
      if (f != last) {
        out.addSuppressed(f);
      }
    }
    return out;
  }

  private String clusterName(Snapshot s) {
    CryptoMessages.ClusterView v = s.view();
    return v == null
        ? entry.indexSuffix() + " (" + entry.server() + ")"
        : "'" + v.label() + "' (" + v.clusterId() + ")";
  }

  private String preferredGroup(Snapshot s) {
    if (options.affinityGroup() != null) {
      return options.affinityGroup();
    }
    for (MemberLink m : s.links()) {
      if (m.registered()) {
        return m.group();
      }
    }
    return null;
  }

  @Override
  public void markDown(RoutedMember member, TransportException e) {
    if (!(member instanceof MemberLink)) {
      throw new IllegalArgumentException(member + " is not a member of this router");
    }
    MemberLink m = (MemberLink) member;
    if (m.markDown(e.kind() + ": " + e.getMessage())) {
      LOG.log(
          System.Logger.Level.WARNING,
          m.describe()
              + " is marked down and gets no traffic until it answers a health probe (every "
              + human(options.recoveryInterval())
              + "): "
              + e.getMessage());
    }
    requestRefresh();
  }

  // ---- first use and background work

  private void start() {
    if (background != null) {
      return;
    }
    synchronized (startLock) {
      if (background != null || closed) {
        return;
      }
      refreshView();
      ScheduledExecutorService ex =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "keyring-routing-" + entry.indexSuffix());
                t.setDaemon(true);
                return t;
              });
      long now = ticker.nanoTime();
      nextRefresh = now + options.viewRefresh().toNanos();
      nextRecovery = now + options.recoveryInterval().toNanos();
      background = ex;
      scheduleNextTick();
    }
  }

  /**
   * The background work that is due by the ticker: a view refresh {@link
   * TransportOptions#viewRefresh()} after the last one ended, a probe of the down members {@link
   * TransportOptions#recoveryInterval()} after the last round ended.
   */
  void tick() {
    if (closed) {
      return;
    }
    if (ticker.nanoTime() - nextRefresh >= 0) {
      refreshView();
      nextRefresh = ticker.nanoTime() + options.viewRefresh().toNanos();
    }
    if (ticker.nanoTime() - nextRecovery >= 0) {
      recover();
      nextRecovery = ticker.nanoTime() + options.recoveryInterval().toNanos();
    }
  }

  private void backgroundTick() {
    try {
      tick();
    } finally {
      scheduleNextTick();
    }
  }

  /** Wakes the background thread when the next piece of work is due by the ticker. */
  private void scheduleNextTick() {
    ScheduledExecutorService ex = background;
    if (ex == null || closed) {
      return;
    }
    long now = ticker.nanoTime();
    long wait = Math.max(0, Math.min(nextRefresh - now, nextRecovery - now));
    try {
      ex.schedule(this::backgroundTick, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shutDown) {
      // closed meanwhile
    }
  }

  private void requestRefresh() {
    ScheduledExecutorService ex = background;
    if (ex == null || closed || !refreshQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      ex.execute(
          () -> {
            refreshQueued.set(false);
            refreshView();
          });
    } catch (RejectedExecutionException shutDown) {
      refreshQueued.set(false);
    }
  }

  /** How long a probe or a view fetch may take: it must not hold the background thread long. */
  private Duration probeLimit() {
    return options.connectTimeout();
  }

  /**
   * Fetches the view from the registered member if it is up, else from another member that is up,
   * and applies it. Failures are logged: the members known keep serving.
   */
  @Override
  public void refreshView() {
    if (closed) {
      return;
    }
    List<MemberLink> order = new ArrayList<>();
    for (MemberLink m : snapshot.get().links()) {
      if (m.up() && m.registered()) {
        order.add(0, m);
      } else if (m.up()) {
        order.add(m);
      }
    }
    for (MemberLink m : order) {
      try {
        CryptoMessages.ClusterView v =
            m.transport()
                .getWithin(probeLimit(), CryptoMessages.ClusterView.class, "v1", "cluster");
        apply(v, m);
        return;
      } catch (TransportException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "the cluster view could not be fetched from " + m.describe() + ": " + e.getMessage());
      }
    }
  }

  /** Applies {@code v} (fetched from {@code from}) unless it is older or not usable. */
  void apply(CryptoMessages.ClusterView v, MemberLink from) {
    String bad = problem(v);
    if (bad != null) {
      LOG.log(
          System.Logger.Level.WARNING,
          "ignoring the cluster view from " + from.describe() + ": " + bad);
      return;
    }
    List<MemberLink> toProbe = new ArrayList<>();
    synchronized (viewLock) {
      if (closed) {
        return;
      }
      Snapshot current = snapshot.get();
      CryptoMessages.ClusterView old = current.view();
      if (old != null && !old.clusterId().equals(v.clusterId())) {
        LOG.log(
            System.Logger.Level.WARNING,
            "ignoring the view of cluster "
                + v.clusterId()
                + " from "
                + from.describe()
                + ": this client routes over cluster "
                + old.clusterId());
        return;
      }
      if (old != null
          && (v.epoch() < old.epoch()
              || (v.epoch() == old.epoch() && v.version() < old.version()))) {
        // an older view never replaces a newer one: the epoch first (a replaced primary may still
        // answer with its own, higher version of an older epoch), then the version
        return;
      }
      transports.positions().bindTo(v.clusterId());
      List<MemberLink> next = new ArrayList<>();
      List<MemberLink> unused = new ArrayList<>(current.links());
      for (CryptoMessages.ClusterMember vm : v.members()) {
        MemberLink link = match(unused, vm);
        if (link == null) {
          String name = vm.name() + " at " + hostPort(vm.host(), vm.port());
          link =
              link(
                  vm.host(),
                  vm.port(),
                  vm.name(),
                  "member " + name + " (cluster " + entry.indexSuffix() + ")",
                  false);
        } else {
          unused.remove(link);
        }
        link.update(vm);
        if (!link.up() && vm.visible()) {
          toProbe.add(link);
        }
        next.add(link);
      }
      for (MemberLink m : unused) {
        if (m.registered() && m.memberId() == null) {
          next.add(m); // never identified in a view: keep serving through it
        } else {
          m.remove();
          retired.add(m);
          LOG.log(
              System.Logger.Level.INFO,
              m.describe() + " is no longer in the cluster view; its sessions are dropped");
        }
      }
      snapshot.set(new Snapshot(v, List.copyOf(next)));
    }
    for (MemberLink m : toProbe) {
      probe(m);
    }
  }

  /**
   * The link in {@code links} for {@code vm}: the same member id at the same address, or the
   * registered member (by id, by the configured server name, or by the configured address).
   */
  private MemberLink match(List<MemberLink> links, CryptoMessages.ClusterMember vm) {
    for (MemberLink l : links) {
      if (vm.memberId().equals(l.memberId())
          && (l.registered() || (l.host().equals(vm.host()) && l.port() == vm.port()))) {
        return l;
      }
    }
    for (MemberLink l : links) {
      if (l.registered()
          && l.memberId() == null
          && (vm.name().equalsIgnoreCase(entry.serverCn())
              || (vm.host().equals(entry.host()) && vm.port() == entry.port()))) {
        return l;
      }
    }
    return null;
  }

  private static String problem(CryptoMessages.ClusterView v) {
    if (v == null || v.clusterId() == null) {
      return "it names no cluster id";
    }
    if (v.members() == null || v.members().isEmpty()) {
      return "it lists no member";
    }
    for (CryptoMessages.ClusterMember m : v.members()) {
      if (m == null || blank(m.memberId()) || blank(m.name()) || blank(m.host())) {
        return "a member has no id, name or host: " + m;
      }
      if (m.port() < 1 || m.port() > 65535) {
        return "a member has a port outside 1-65535: " + m;
      }
    }
    return null;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private void recover() {
    int retries = options.recoveryRetries();
    for (MemberLink m : snapshot.get().links()) {
      if (closed) {
        return;
      }
      m.retryDeferredCloses(); // when it is up
      if (m.up() || m.removed() || (retries >= 0 && m.failedProbes() >= retries)) {
        continue;
      }
      probe(m);
    }
  }

  /** {@code GET /v1/health} on a down member; brings it back when it answers. */
  private boolean probe(MemberLink m) {
    try {
      m.transport().getWithin(probeLimit(), Map.class, "v1", "health");
    } catch (TransportException | RuntimeException e) {
      m.probeFailed();
      int retries = options.recoveryRetries();
      if (retries >= 0 && m.failedProbes() == retries) {
        LOG.log(
            System.Logger.Level.WARNING,
            m.describe()
                + " did not answer "
                + retries
                + " health probes: it is probed again only when a fresh cluster view lists it");
      }
      return false;
    }
    if (m.markUp()) {
      LOG.log(System.Logger.Level.INFO, m.describe() + " answers again and takes traffic");
      requestRefresh();
      m.closeDeferredSessions();
    }
    return true;
  }

  // ---- figures

  /** Every member known, in view order. */
  public List<MemberLink> links() {
    return snapshot.get().links();
  }

  public List<MemberState> memberStates() {
    return links().stream().map(MemberLink::state).collect(Collectors.toUnmodifiableList());
  }

  /** The version of the view in use, or -1 before one arrived. */
  public long viewVersion() {
    CryptoMessages.ClusterView v = snapshot.get().view();
    return v == null ? -1 : v.version();
  }

  public int connectionCount() {
    int n = 0;
    for (MemberLink m : links()) {
      n += m.transport().connectionCount();
    }
    return n;
  }

  public int idleConnectionCount() {
    int n = 0;
    for (MemberLink m : links()) {
      n += m.transport().idleConnectionCount();
    }
    return n;
  }

  public boolean isClosed() {
    return closed;
  }

  /**
   * Stops the background thread and closes every member's transport. Calls under way finish; their
   * connections close when released.
   */
  @Override
  public void close() {
    synchronized (startLock) {
      closed = true;
      ScheduledExecutorService ex = background;
      if (ex != null) {
        ex.shutdownNow();
      }
    }
    List<MemberLink> all;
    synchronized (viewLock) {
      all = new ArrayList<>(snapshot.get().links());
      all.addAll(retired);
    }
    MemberLink.closeLetGoSessions(all, LAST_CLOSES);
    synchronized (viewLock) {
      for (MemberLink m : snapshot.get().links()) {
        m.close();
      }
      for (MemberLink m : retired) {
        m.close();
      }
    }
  }

  private static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
