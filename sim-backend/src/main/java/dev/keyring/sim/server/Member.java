package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.boundary.MemberPki;
import dev.keyring.sim.channel.ChannelServer;
import dev.keyring.sim.channel.ChannelSettings;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.NodeSettings;
import dev.keyring.sim.cluster.PeerTransport;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running cluster member: the appliance (store, HSM, boundary, keyrings) and its two APIs on
 * Jetty 12 — the admin REST API over TLS (port 50070 by default) and the crypto API over mutual TLS
 * (port 50052 by default), each speaking HTTP/2 (ALPN) and HTTP/1.1, with TCP_NODELAY; beside the
 * crypto API, the binary crypto channel ({@link ChannelServer}, same TLS context) unless {@link
 * MemberConfig#channelPort()} is -1. The crypto API starts once the member belongs to a cluster,
 * since its certificate and the client certificates it accepts come from the cluster CA.
 */
public final class Member implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Member.class);

  /** Request headers beyond this many bytes are refused (431). */
  static final int MAX_HEADER_BYTES = 8 << 10;

  /** How long a request body may take before its rate counts (see {@link BodyReader}). */
  static final java.time.Duration BODY_GRACE = java.time.Duration.ofSeconds(5);

  private final MemberConfig config;
  private final Appliance appliance;
  private final CryptoSessions sessions;
  private final BufferBudget buffers;
  private final MemberMetrics metrics;
  private final Server adminServer;
  private final AdminApi adminApi;
  private volatile ClusterNode node;
  private final AtomicLong served = new AtomicLong();
  private volatile Server cryptoServer;
  private final RevokedClientCutoff cutoff;
  // the crypto port first bound, kept by a restart (clients' configuration stays right)
  private int cryptoPortBound = -1;
  private volatile ChannelServer channel;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private int channelPortBound = -1;

  private Member(MemberConfig config) throws Exception {
    this.config = config;
    this.appliance = Appliance.open(config.appliance());
    this.sessions = new CryptoSessions(config.sessionIdleTimeout(), config.ticker());
    this.buffers = new BufferBudget(config.bufferBudget());
    this.cutoff =
        new RevokedClientCutoff(
            sessions,
            () -> cryptoServer,
            serial -> {
              ChannelServer c = channel;
              return c == null ? 0 : c.closeConnectionsOf(serial);
            });
    this.metrics = new MemberMetrics(config.ticker());
    Server admin = null;
    AdminApi api = null;
    try {
      api = new AdminApi(this);
      if (api.state.recordStart()) {
        LOG.warn(
            "member {} did not stop cleanly last time: it is not authorized until it takes the"
                + " authorization of an active authorized member of its cluster, or the operator"
                + " authorizes it (keyring-sim cluster member authorize)",
            appliance.defaultMemberName());
      }
      MemberPki pki = appliance.pki();
      admin =
          TlsServer.start(
              config,
              config.adminPort(),
              pki.adminServerContext(appliance.hsm().serialNumber()),
              false,
              api,
              null,
              "keyring-admin",
              bodyLimits(2L * AdminApi.MAX_BODY));
      this.adminServer = admin;
      this.adminApi = api;
      java.util.Optional<String> clock =
          ServiceClock.outsideValidity(pki, ServiceClock.now(config));
      if (clock.isPresent()) {
        api.state.running(false); // the guide's rule: no cluster service with a wrong clock
        LOG.warn("cluster service not started: {}", clock.get());
      } else if (appliance.cluster().isPresent() && pki.hasClusterCa()) {
        startCryptoApi();
      }
    } catch (Exception | Error e) {
      if (api != null) {
        api.close();
      }
      TlsServer.stopQuietly(admin);
      sessions.close();
      appliance.close();
      throw e;
    }
    LOG.info(
        "member {} up: admin API https://{}:{}{}",
        appliance.defaultMemberName(),
        config.bindAddress(),
        adminPort(),
        cryptoServer == null
            ? " (crypto API starts with the cluster)"
            : ", crypto API port " + cryptoPort());
  }

  /** Opens the appliance and starts its APIs. */
  public static Member start(MemberConfig config) throws Exception {
    return new Member(config);
  }

  public MemberConfig config() {
    return config;
  }

  public Appliance appliance() {
    return appliance;
  }

  /**
   * Whether this member is authorized on its cluster by its own record (false without a cluster). A
   * member that started after a crash with no other active member is not, until {@link #authorize}.
   */
  public boolean authorized() {
    return adminApi.state.authorized();
  }

  /**
   * Whether this member lost its authorization when it started after a crash (and has not taken it
   * from another member, nor been authorized since).
   */
  public boolean authorizationLost() {
    return adminApi.state.authorizationLost();
  }

  /**
   * Authorizes this member on its cluster with the partition CO's password, as the admin API's
   * {@code authorize} action does.
   */
  public void authorize(String coPassword) {
    dev.keyring.store.ClusterRecord c =
        appliance
            .cluster()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_FUNCTION_FAILED,
                        "this member belongs to no cluster: create or join one first"));
    synchronized (adminApi.clusterLock) {
      adminApi.authorizeLocalMember(c, coPassword);
    }
    LOG.info("member {} authorized", appliance.defaultMemberName());
  }

  /** The port the admin API listens on. */
  public int adminPort() {
    return ((ServerConnector) adminServer.getConnectors()[0]).getLocalPort();
  }

  /** The port the crypto API listens on, or -1 before the member belongs to a cluster. */
  public int cryptoPort() {
    Server s = cryptoServer;
    return s == null ? -1 : ((ServerConnector) s.getConnectors()[0]).getLocalPort();
  }

  /** The port the crypto channel listens on, or -1 when it is not listening. */
  public int channelPort() {
    ChannelServer c = channel;
    return c == null ? -1 : c.port();
  }

  /**
   * The channel port clients are told to reach (the cluster view's {@code channelPort}): {@code
   * advertisedChannelPort} when set, else the port the channel listens on; -1 without a channel.
   */
  public int advertisedChannelPort() {
    int bound = channelPort();
    return bound > 0 && config.advertisedChannelPort() > 0 ? config.advertisedChannelPort() : bound;
  }

  /** Requests the crypto channel has read since the member started (0 without a channel). */
  public long channelRequests() {
    ChannelServer c = channel;
    return c == null ? 0 : c.requests();
  }

  /**
   * Channel requests served on their connection's reader (alone on it) rather than by the shared
   * workers, since the member started (0 without a channel).
   */
  public long channelServedOnReader() {
    ChannelServer c = channel;
    return c == null ? 0 : c.servedOnReader();
  }

  /**
   * Bytes the crypto channel's connections hold for their clients now (requests under way and
   * answers not yet written); beyond a share per connection, borrowed from {@link #buffers()}.
   */
  public long channelHeldBytes() {
    ChannelServer c = channel;
    return c == null ? 0 : c.heldBytes();
  }

  /**
   * The most one crypto channel connection holds now beyond what it borrowed from {@link
   * #buffers()}: its own share (64 KiB) at most, unless a write's answer outgrew its bound.
   */
  public long channelMostOwnBytes() {
    ChannelServer c = channel;
    return c == null ? 0 : c.mostOwnBytes();
  }

  /** Open crypto channel connections. */
  public int channelConnections() {
    ChannelServer c = channel;
    return c == null ? 0 : c.connectionCount();
  }

  /** The admin API's server certificate (self-signed appliance certificate). */
  public X509Certificate adminCertificate() {
    return appliance.pki().applianceCertificate(appliance.hsm().serialNumber());
  }

  /** Session requests (open, login, sign, ...) the crypto API received since the member started. */
  public long cryptoRequests() {
    return served.get();
  }

  /** Open crypto API sessions. */
  public int openSessions() {
    return sessions.open();
  }

  /** The metrics of {@code GET /metrics} on the admin API, in the Prometheus text format. */
  public String metricsText() {
    return metrics.render(this);
  }

  /** This member's admin API. */
  AdminApi adminApi() {
    return adminApi;
  }

  /** The crypto API's sessions of this member. */
  CryptoSessions cryptoSessions() {
    return sessions;
  }

  /** The budget of memory held for clients' data (multi-part input, large bodies). */
  public BufferBudget buffers() {
    return buffers;
  }

  /**
   * The connection limit of the admin API ({@code crypto} false) or of the crypto API (null while
   * it is stopped).
   */
  EndpointLimit connectionLimit(boolean crypto) {
    Server s = crypto ? cryptoServer : adminServer;
    return s == null ? null : s.getConnectors()[0].getBean(EndpointLimit.class);
  }

  /** How request bodies are bounded, with {@code drainLimit} for refused ones. */
  BodyLimits bodyLimits(long drainLimit) {
    return new BodyLimits(config.minRequestDataRate(), BODY_GRACE, drainLimit, config.ticker());
  }

  /**
   * The cluster revoked the client certificate with serial {@code serial}: its sessions and
   * connections on this member end now.
   */
  void clientRevoked(java.math.BigInteger serial) {
    cutoff.cut(serial);
  }

  /** Starts the crypto API (done on start, or when a cluster is created here). */
  public synchronized void startCryptoApi() throws Exception {
    if (cryptoServer != null) {
      startNode(); // a cluster service that failed to start earlier is started again
      return;
    }
    MemberPki pki = appliance.pki();
    if (!pki.hasClusterCa()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "the crypto API needs a cluster: create or join one");
    }
    SSLContext context = pki.cryptoServerContext(appliance.defaultMemberName());
    CryptoApi api =
        new CryptoApi(
            appliance,
            sessions,
            adminApi::clusterView,
            this::node,
            adminApi.assignments,
            served,
            buffers,
            bodyLimits(2L * CryptoApi.MAX_REQUEST_BYTES));
    ClientConnectionLimit perClient =
        new ClientConnectionLimit(api, config.maxConnectionsPerClient(), api.peers::isMember);
    cryptoServer =
        RestartPort.bind(
            "crypto API",
            cryptoPortBound,
            config.cryptoPort(),
            port ->
                TlsServer.start(
                    config,
                    port,
                    context,
                    true,
                    metrics.around(perClient),
                    perClient,
                    "keyring-crypto",
                    bodyLimits(2L * CryptoApi.MAX_REQUEST_BYTES)));
    cryptoPortBound = ((ServerConnector) cryptoServer.getConnectors()[0]).getLocalPort();
    if (config.channelPort() >= 0) {
      try {
        ChannelCalls calls = new ChannelCalls(api, metrics);
        channel =
            RestartPort.bind(
                "crypto channel",
                channelPortBound,
                config.channelPort(),
                port ->
                    ChannelServer.start(context, channelSettings(port), calls, config.ticker()));
      } catch (Exception e) {
        TlsServer.stopQuietly(cryptoServer);
        cryptoServer = null;
        throw e;
      }
      channelPortBound = channel.port();
    }
    LOG.info(
        "member {}: crypto API https://{}:{} started{}",
        appliance.defaultMemberName(),
        config.bindAddress(),
        cryptoPortBound,
        channel == null ? "" : ", crypto channel port " + channelPortBound);
    startNode();
  }

  private ChannelSettings channelSettings(int port) {
    return new ChannelSettings(
        config.bindAddress(),
        port,
        config.maxConnections(),
        config.channelMaxInFlight(),
        config.channelMaxConnectionsPerClient(),
        config.channelWorkers(),
        config.idleTimeout(),
        config.channelWriteTimeout(),
        ChannelFrames.DEFAULT_MAX_FRAME_BYTES,
        config.channelSpinMicros());
  }

  /** This member's cluster service, or null while the crypto API is stopped. */
  public ClusterNode node() {
    return node;
  }

  /** The {@code host:port} clients and members are told to reach the crypto API at. */
  public String cryptoAddress() {
    String a = config.advertisedCryptoAddress();
    if (a != null) {
      return a;
    }
    int port = cryptoPortBound > 0 ? cryptoPortBound : config.cryptoPort();
    return config.bindAddress() + ":" + port;
  }

  /** The {@code host:port} of the admin API. */
  public String adminAddress() {
    return config.bindAddress() + ":" + adminPort();
  }

  private synchronized void startNode() {
    if (node != null || appliance.cluster().isEmpty()) {
      return;
    }
    dev.keyring.store.ClusterRecord c = appliance.cluster().orElseThrow();
    // the store may hold a copied state (join) or one changed while the service was stopped
    adminApi.clients.reload();
    adminApi.assignments.reload();
    adminApi.lockouts.reloadAll();
    adminApi.usersChanged();
    String name = appliance.defaultMemberName();
    installPendingPackage(name);
    MemberPki pki = appliance.pki();
    ClusterNode n =
        ClusterNode.open(
            appliance.store(),
            new NodeSettings(
                    adminApi.state.member(c).memberId,
                    name,
                    cryptoAddress(),
                    adminAddress(),
                    pki.memberCertificateFingerprint(name),
                    () ->
                        adminApi.state.restartRequired() || adminApi.packages.pending().isPresent(),
                    adminApi.packages.installed(),
                    config.ticker())
                .withChannelPort(Math.max(0, advertisedChannelPort())),
            PeerTransport.overTls(pki.peerClientContext(name), config.peerRoutes()),
            new ReplicatedViews(
                new BoundaryCacheInvalidation(appliance.boundary()),
                adminApi.clients,
                adminApi.assignments,
                adminApi.lockouts,
                adminApi::usersChanged));
    ClusterServiceState state = adminApi.state;
    n.authorization(
        new dev.keyring.sim.cluster.MemberAuthorization() {
          @Override
          public boolean granted() {
            return state.authorized();
          }

          @Override
          public boolean lost() {
            return state.authorizationLost();
          }

          @Override
          public void takeFrom(String from) {
            state.takeAuthorization(from);
          }
        });
    appliance.replicateThrough(n);
    n.start();
    node = n;
  }

  /**
   * A cluster service version installed by an upgrade runs from this start. As the guide's update
   * procedures have it, the member then needs authorizing again: it takes the authorization of an
   * active authorized member (the multi-member procedure), or waits for the operator (a
   * single-member cluster).
   */
  private void installPendingPackage(String name) {
    if (adminApi.packages.installPending()) {
      boolean lost = adminApi.state.loseAuthorization();
      LOG.warn(
          "member {}: cluster service {} installed{}",
          name,
          adminApi.packages.installedPackage(),
          lost
              ? "; the member is not authorized until it takes the authorization of an active"
                  + " authorized member, or the operator authorizes it"
              : "");
    }
  }

  private void stopNode() {
    ClusterNode n = node;
    node = null;
    if (n != null) {
      n.close();
      appliance.replicateThrough(null);
    }
  }

  /**
   * Stops the crypto API (the cluster service stopped): its connections close and clients are
   * refused until {@link #startCryptoApi()}. Every crypto session is closed and logged out.
   */
  public synchronized void stopCryptoApi() {
    Server s = cryptoServer;
    cryptoServer = null;
    stopChannel(); // first: what it took is answered (5 s at most), nothing after this
    stopNode();
    TlsServer.stopQuietly(s);
    sessions.closeAll(); // the service is down: every session is logged out
  }

  /**
   * Stops the member cleanly: its APIs and cluster service stop, then the clean-stop marker is
   * written (so that the next start keeps its authorization; see {@link
   * ClusterServiceState#recordStart()}) and the store closes. Once: a second call does nothing.
   */
  @Override
  public void close() {
    if (stopped.getAndSet(true)) {
      return;
    }
    adminApi.close();
    stopChannel();
    stopNode();
    TlsServer.stopQuietly(cryptoServer);
    TlsServer.stopQuietly(adminServer);
    sessions.close();
    haltForCrashTest("before-marker");
    try {
      adminApi.state.recordCleanStop();
    } catch (RuntimeException e) {
      LOG.warn("the clean-stop marker was not written: the next start counts as after a crash", e);
    }
    haltForCrashTest("after-marker");
    appliance.close();
  }

  private void stopChannel() {
    ChannelServer c = channel;
    channel = null;
    if (c != null) {
      c.close();
    }
  }

  /**
   * Process-level crash tests only: halts the JVM at once (as {@code kill -9} would) at {@code
   * point} of a clean stop when the system property {@code keyring.stop.haltAt} names it.
   */
  private static void haltForCrashTest(String point) {
    if (point.equals(System.getProperty("keyring.stop.haltAt"))) {
      Runtime.getRuntime().halt(137);
    }
  }
}
