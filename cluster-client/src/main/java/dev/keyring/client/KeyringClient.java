package dev.keyring.client;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.MemberState;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.CallKind;
import dev.keyring.client.channel.Hedging;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.RecoveringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.internal.routing.ClusterRouter;
import dev.keyring.protocol.HsmException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A client of one cluster, registered through the member its configuration entry names ({@code
 * LNHServerNN}), over mutual TLS with the certificate that registration issued. It lists the
 * cluster's keyrings as slots and opens sessions on them.
 *
 * <pre>{@code
 * ClientConfig cfg = ClientConfig.read(Path.of("/etc/Chrystoki.conf"));
 * try (KeyringClient client = KeyringClient.open(cfg, 0);
 *     KeyringChannel s = client.openSession("app100")) {
 *   s.login(Role.KRCO, password);
 *   byte[] sig = s.sign(key, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
 * }
 * }</pre>
 *
 * <h2>Routing over the cluster</h2>
 *
 * On first use the client fetches the cluster view ({@code GET /v1/cluster}) from the registered
 * member, then keeps it fresh in the background (every {@link TransportOptions#viewRefresh()},
 * default 5 s, and at once after a member failure; an older view never replaces a newer one). Each
 * member gets its own pooled connections, with the same client certificate; a member's certificate
 * must chain to the cluster CA and carry the member's name (see the transport package).
 *
 * <ul>
 *   <li><b>Reads and crypto</b> (sign, verify, encrypt, decrypt, wrap, random, find/get objects,
 *       slots, login, logout) go to the live members of the preferred affinity group ({@link
 *       TransportOptions#affinityGroup()}, else the registered member's group), to the one with the
 *       fewest outstanding requests (round robin on ties). Other groups serve only when the whole
 *       preferred group is down.
 *   <li><b>Writes</b> (create, generate, set attributes, destroy, unwrap, derive, change password,
 *       init KRCO) go to read-write members only; with none, a write fails with
 *       CKR_TOKEN_WRITE_PROTECTED ("no member of cluster ... accepts writes"), never queued.
 *   <li><b>Failures</b>: what is repeated after a failure, and where, is written once, in {@link
 *       CallKind}; the session {@link #openSession} returns applies it.
 *   <li><b>Recovery</b>: a member marked down gets no traffic until a background health probe
 *       ({@code GET /v1/health}, every {@link TransportOptions#recoveryInterval()}, default 1 s, up
 *       to {@link TransportOptions#recoveryRetries()} times, default forever) succeeds, or a fresh
 *       view lists it as visible and a probe succeeds. Sessions log in again by themselves (see
 *       {@link RecoveringChannel}), so an application never restarts after a member restarts.
 * </ul>
 *
 * {@link #memberStates()} shows each member's state and request counts.
 *
 * <p>No connection is made and no thread started until the first call; connections are then pooled
 * and kept alive, and one daemon thread refreshes the view and probes down members. {@link
 * #close()} closes every session this client still has open, stops that thread and closes the
 * pooled connections. Thread-safe.
 */
public final class KeyringClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(KeyringClient.class.getName());

  private final ClusterEntry cluster;
  private final TransportOptions options;
  private final ClusterRouter router;
  private final Hedging hedging;
  private final Set<KeyringChannel> sessions = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private KeyringClient(ClusterEntry cluster, TransportOptions options, ClusterRouter router) {
    this.cluster = cluster;
    this.options = options;
    this.router = router;
    this.hedging = Hedging.of(options);
  }

  /**
   * A client of the cluster at {@code index} (0-9) of {@code config}, with default options.
   *
   * @throws IllegalArgumentException if no cluster is registered at that index
   * @throws TransportException of kind CONFIGURATION if its certificate, key or CA file is unusable
   */
  public static KeyringClient open(ClientConfig config, int index) throws TransportException {
    return open(config, index, TransportOptions.defaults());
  }

  /**
   * A client of the cluster at {@code index} of {@code config}; see {@link #open(ClientConfig,
   * int)}.
   */
  public static KeyringClient open(ClientConfig config, int index, TransportOptions options)
      throws TransportException {
    Objects.requireNonNull(config, "config");
    ClusterEntry entry =
        config
            .cluster(index)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "no cluster is registered at index "
                            + String.format("%02d", index)
                            + " in "
                            + config.file().source()
                            + "; registered: "
                            + (config.clusters().isEmpty()
                                ? "none (run keyring-register)"
                                : config.clusters().stream()
                                    .map(ClusterEntry::indexSuffix)
                                    .collect(Collectors.joining(", ")))));
    return open(entry, options);
  }

  /** A client of the cluster {@code entry} describes, with default options. */
  public static KeyringClient open(ClusterEntry entry) throws TransportException {
    return open(entry, TransportOptions.defaults());
  }

  /**
   * A client of the cluster {@code entry} describes.
   *
   * @throws TransportException of kind CONFIGURATION if its certificate, key or CA file is unusable
   */
  public static KeyringClient open(ClusterEntry entry, TransportOptions options)
      throws TransportException {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(options, "options");
    return new KeyringClient(entry, options, new ClusterRouter(entry, options));
  }

  /** The configuration entry this client uses. */
  public ClusterEntry cluster() {
    return cluster;
  }

  public TransportOptions options() {
    return options;
  }

  /** The cluster's keyrings, as slots. */
  public List<Slot> slots() throws TransportException {
    return RecoveringChannel.call(
        router(), hedging, CallKind.READ_REPEATABLE, "GET /v1/slots", MemberChannel::slots);
  }

  /**
   * Asks a member (chosen as for any read) whether it is up and returns how long the round trip
   * took, failing over like any read.
   *
   * @throws TransportException if no member can be reached
   */
  public Duration ping() throws TransportException {
    return RecoveringChannel.call(
        router(),
        hedging,
        CallKind.READ_REPEATABLE,
        "GET /v1/health",
        c -> {
          long start = System.nanoTime();
          c.health();
          return Duration.ofNanos(System.nanoTime() - start);
        });
  }

  /**
   * Opens a session on the keyring with this label or UUID: a logical session over the cluster (a
   * {@link RecoveringChannel}), whose first physical session is opened now on a member chosen as
   * for any read.
   *
   * @throws HsmException CKR_SLOT_ID_INVALID if the cluster has no such keyring
   */
  public KeyringChannel openSession(String keyringLabelOrId) throws TransportException {
    Objects.requireNonNull(keyringLabelOrId, "keyringLabelOrId");
    KeyringChannel s =
        RecoveringChannel.open(router(), hedging, keyringLabelOrId, sessions::remove);
    sessions.add(s);
    if (closed) { // closed while opening: do not leave it behind
      closeQuietly(s);
    }
    return s;
  }

  /**
   * Logical sessions opened by this client and not yet closed. Each may hold one physical session
   * on every member it was routed to; {@link MemberState#sessions()} counts those per member.
   */
  public int openSessionCount() {
    return sessions.size();
  }

  /** Connections held by this client to every member (in use or idle). */
  public int connectionCount() {
    return router.connectionCount();
  }

  /** Idle connections kept alive for the next calls, over every member. */
  public int idleConnectionCount() {
    return router.idleConnectionCount();
  }

  /**
   * Every member this client knows, as it sees them now: from the cluster view (before the first
   * view arrives, only the registered member, with no id or group), whether each is up, and its
   * outstanding and completed request counts and physical sessions. A snapshot: it does not change
   * afterwards.
   */
  public List<MemberState> memberStates() {
    return router.memberStates();
  }

  /** The version of the cluster view the client routes by, or -1 before it has one. */
  public long viewVersion() {
    return router.viewVersion();
  }

  public boolean isClosed() {
    return closed;
  }

  /**
   * Closes every session still open (the member logs them out) and the pooled connections. A
   * session the member cannot be told about is closed by it after its idle timeout; such failures
   * are logged, not thrown. Closing twice does nothing.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (KeyringChannel s : List.copyOf(sessions)) {
      closeQuietly(s);
    }
    router.close();
    hedging.close();
  }

  @Override
  public String toString() {
    return "KeyringClient["
        + cluster.server()
        + ", "
        + router.links().size()
        + " members"
        + ", cluster "
        + cluster.indexSuffix()
        + ", "
        + sessions.size()
        + " sessions"
        + (closed ? ", closed" : "")
        + "]";
  }

  private ClusterRouter router() {
    if (closed) {
      throw new IllegalStateException("this KeyringClient is closed");
    }
    return router;
  }

  private void closeQuietly(KeyringChannel s) {
    try {
      s.close();
    } catch (TransportException | HsmException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "closing the session on keyring '"
              + s.keyringLabel()
              + "' failed; the member closes it after its idle timeout: "
              + e.getMessage());
    } finally {
      sessions.remove(s);
    }
  }
}
