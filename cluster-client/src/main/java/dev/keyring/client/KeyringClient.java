package dev.keyring.client;

import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.internal.transport.HttpTransport;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.wire.CryptoMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A client of one cluster, through the member its configuration entry names ({@code LNHServerNN}),
 * over mutual TLS with the certificate that registration issued. It lists the cluster's keyrings as
 * slots and opens sessions on them.
 *
 * <pre>{@code
 * ClientConfig cfg = ClientConfig.read(Path.of("/etc/Chrystoki.conf"));
 * try (KeyringClient client = KeyringClient.open(cfg, 0);
 *     KeyringSessionHandle s = client.openSession("app100")) {
 *   s.login(Role.KRCO, password);
 *   byte[] sig = s.sign(key, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
 * }
 * }</pre>
 *
 * <p>No connection is made until the first call; connections are then pooled and kept alive. {@link
 * #close()} closes every session this client still has open and the pooled connections.
 * Thread-safe.
 */
public final class KeyringClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(KeyringClient.class.getName());

  private final ClusterEntry cluster;
  private final TransportOptions options;
  private final HttpTransport transport;
  private final Set<KeyringSessionHandle> sessions = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private KeyringClient(ClusterEntry cluster, TransportOptions options, HttpTransport transport) {
    this.cluster = cluster;
    this.options = options;
    this.transport = transport;
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
    return new KeyringClient(entry, options, HttpTransport.open(entry, options));
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
    CryptoMessages.SlotList list = transport().get(CryptoMessages.SlotList.class, "v1", "slots");
    List<Slot> out = new ArrayList<>();
    if (list.slots() != null) {
      for (CryptoMessages.Slot s : list.slots()) {
        out.add(WireTypes.slot(s));
      }
    }
    return List.copyOf(out);
  }

  /**
   * Asks the member whether it is up and returns how long the round trip took.
   *
   * @throws TransportException if it cannot be reached
   */
  public Duration ping() throws TransportException {
    long start = System.nanoTime();
    transport().get(Map.class, "v1", "health");
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /**
   * Opens a session on the keyring with this label or UUID.
   *
   * @throws HsmException CKR_SLOT_ID_INVALID if the cluster has no such keyring
   */
  public KeyringSessionHandle openSession(String keyringLabelOrId) throws TransportException {
    Objects.requireNonNull(keyringLabelOrId, "keyringLabelOrId");
    CryptoMessages.SessionInfo info =
        transport()
            .post(
                new CryptoMessages.OpenSession(keyringLabelOrId),
                CryptoMessages.SessionInfo.class,
                false,
                "v1",
                "sessions");
    if (info.sessionId() == null || info.sessionId().isEmpty()) {
      throw new TransportException(
          TransportException.Kind.PROTOCOL,
          transport.name() + ": the member opened a session without an id");
    }
    KeyringSessionHandle s =
        new KeyringSessionHandle(this, info.sessionId(), info.keyringId(), info.label());
    sessions.add(s);
    if (closed) { // closed while opening: do not leave it behind
      closeQuietly(s);
    }
    return s;
  }

  /** Sessions opened by this client and not yet closed. */
  public int openSessionCount() {
    return sessions.size();
  }

  /** Connections to the member held by this client (in use or idle). */
  public int connectionCount() {
    return transport.connectionCount();
  }

  /** Idle connections kept alive for the next calls. */
  public int idleConnectionCount() {
    return transport.idleConnectionCount();
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
    for (KeyringSessionHandle s : List.copyOf(sessions)) {
      closeQuietly(s);
    }
    transport.close();
  }

  @Override
  public String toString() {
    return "KeyringClient["
        + cluster.server()
        + ", cluster "
        + cluster.indexSuffix()
        + ", "
        + sessions.size()
        + " sessions"
        + (closed ? ", closed" : "")
        + "]";
  }

  // ---- used by sessions

  HttpTransport transport() {
    if (closed) {
      throw new IllegalStateException("this KeyringClient is closed");
    }
    return transport;
  }

  void forget(KeyringSessionHandle s) {
    sessions.remove(s);
  }

  private void closeQuietly(KeyringSessionHandle s) {
    try {
      // the transport refuses calls once closed: reach it directly for the last deletes
      transport.delete("v1", "sessions", s.id());
    } catch (TransportException | HsmException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "closing session "
              + s.id()
              + " on keyring '"
              + s.keyringLabel()
              + "' failed; the"
              + " member closes it after its idle timeout: "
              + e.getMessage());
    } finally {
      s.markClosed();
      sessions.remove(s);
    }
  }
}
