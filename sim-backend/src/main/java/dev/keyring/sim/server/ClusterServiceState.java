package dev.keyring.sim.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ClusterRecord;
import dev.keyring.store.KeyringStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * What the cluster service of this member remembers beyond the store's cluster row: the local
 * member (id, authorization, affinity group, primary), the service settings (on-boot flag, core IP
 * address, admin and crypto interface and port) and the registered clients. Persisted as JSON in
 * {@code hsm_state} under {@value #MEMBER_KEY}, {@value #SERVICE_KEY} and {@value #CLIENTS_KEY},
 * one transaction per change. Whether the service is running is kept in memory only: a member
 * starts with it running.
 */
final class ClusterServiceState {
  static final String MEMBER_KEY = "cluster.member";
  static final String SERVICE_KEY = "cluster.service";
  static final String CLIENTS_KEY = "cluster.clients";
  static final String CLEAN_STOP_KEY = "member.cleanStop";
  static final String DEFAULT_GROUP = "local";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The local member of the cluster (Jackson bean). */
  static final class MemberRow {
    public String clusterId;
    public String memberId;
    public boolean authorized;
    // lost when the member started after a crash: it may take it again from an authorized member
    // that is active, or be authorized by the operator
    public boolean authorizationLost;
    public String group = DEFAULT_GROUP;
    public boolean primary = true;
  }

  /** The cluster service settings (Jackson bean). */
  static final class ServiceRow {
    public boolean onBoot;
    public String coreIpAddress;
    public Endpoint admin = new Endpoint();
    public Endpoint crypto = new Endpoint();
  }

  /** Where one kind of traffic is bound; nulls mean the member's start-up settings. */
  static final class Endpoint {
    public String networkInterface;
    public Integer port;
  }

  /** One registered client (Jackson bean). */
  static final class ClientRow {
    public String serial;
    public String commonName;
    public String label;
    public String monitorUser;
    public String notAfter;
    public String registeredAt;
    public String revokedAt;
  }

  /** The registered clients (Jackson bean). */
  static final class ClientsRow {
    public List<ClientRow> clients = new ArrayList<>();
  }

  private final KeyringStore store;
  private MemberRow member;
  private ServiceRow service;
  private ClientsRow clients;
  private volatile boolean running = true;
  private volatile boolean starting;
  private volatile boolean restartRequired;

  ClusterServiceState(KeyringStore store) {
    this.store = store;
    this.member = load(MEMBER_KEY, MemberRow.class);
    this.service = load(SERVICE_KEY, ServiceRow.class);
    this.clients = load(CLIENTS_KEY, ClientsRow.class);
    if (service == null) {
      service = new ServiceRow();
    }
    if (clients == null) {
      clients = new ClientsRow();
    }
  }

  /** Forgets the cluster membership, registered clients and core IP address (factory reset). */
  synchronized void forgetCluster() {
    store.write(
        tx -> {
          tx.deleteHsmState(MEMBER_KEY);
          tx.deleteHsmState(CLIENTS_KEY);
          return null;
        });
    member = null;
    // the core IP address is set once and changes only after a factory reset: forget it too
    updateService(
        s -> {
          s.coreIpAddress = null;
          return s;
        });
    clients = new ClientsRow();
  }

  private <T> T load(String key, Class<T> type) {
    Optional<byte[]> raw = store.hsmState(key);
    if (raw.isEmpty() || raw.get().length == 0) {
      return null;
    }
    try {
      return JSON.readValue(raw.get(), type);
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the stored cluster service state " + key + " is damaged");
    }
  }

  /**
   * The local member of {@code cluster}, created (not authorized, group {@code local}, primary) the
   * first time it is asked for, or when the stored one belongs to another cluster.
   */
  synchronized MemberRow member(ClusterRecord cluster) {
    if (member == null || !cluster.id().toString().equals(member.clusterId)) {
      MemberRow m = new MemberRow();
      m.clusterId = cluster.id().toString();
      m.memberId = UUID.randomUUID().toString();
      save(MEMBER_KEY, m);
      member = m;
    }
    return copy(member, MemberRow.class);
  }

  /** Changes the local member of {@code cluster}. */
  synchronized MemberRow updateMember(ClusterRecord cluster, UnaryOperator<MemberRow> change) {
    MemberRow next = change.apply(member(cluster));
    save(MEMBER_KEY, next);
    member = next;
    return copy(next, MemberRow.class);
  }

  /**
   * Called once as the member starts, before its cluster service: whether the member stopped
   * cleanly last time is read from the clean-stop marker ({@value #CLEAN_STOP_KEY}, written by
   * {@link #recordCleanStop()}) and the marker is deleted. Without it (a crash, a kill, a power
   * loss, or a first start) an authorized member loses its authorization, in the same transaction
   * that deletes the marker: a crash at any point leaves either the marker (and nothing changed) or
   * no marker, never an authorization that should have been lost.
   *
   * @return true when this start took the member's authorization away
   */
  synchronized boolean recordStart() {
    boolean clean = store.hsmState(CLEAN_STOP_KEY).isPresent();
    MemberRow next = member == null ? null : copy(member, MemberRow.class);
    boolean lose = !clean && next != null && next.authorized;
    if (lose) {
      next.authorized = false;
      next.authorizationLost = true;
    }
    byte[] row = lose ? json(next) : null;
    store.write(
        tx -> {
          tx.deleteHsmState(CLEAN_STOP_KEY);
          if (row != null) {
            tx.putHsmState(MEMBER_KEY, row);
          }
          return null;
        });
    if (lose) {
      member = next;
    }
    return lose;
  }

  /**
   * Writes the clean-stop marker: the member stopped through its normal path, its writes are done,
   * and the next start keeps its authorization. The last write of a member that stops.
   */
  synchronized void recordCleanStop() {
    byte[] clean = "clean".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    store.write(
        tx -> {
          tx.putHsmState(CLEAN_STOP_KEY, clean);
          return null;
        });
  }

  /**
   * The local member takes the authorization of member {@code from} (active, authorized), when it
   * lost its own in a crash.
   *
   * @return whether it did (false when it was authorized already or had not lost it)
   */
  synchronized boolean takeAuthorization(String from) {
    if (member == null || member.authorized || !member.authorizationLost) {
      return false;
    }
    MemberRow next = copy(member, MemberRow.class);
    next.authorized = true;
    next.authorizationLost = false;
    save(MEMBER_KEY, next);
    member = next;
    return true;
  }

  /**
   * The local member loses its authorization as after a crash (a new cluster service version
   * started): it takes it again from an active authorized member, or the operator authorizes it.
   *
   * @return whether it was authorized
   */
  synchronized boolean loseAuthorization() {
    if (member == null || !member.authorized) {
      return false;
    }
    MemberRow next = copy(member, MemberRow.class);
    next.authorized = false;
    next.authorizationLost = true;
    save(MEMBER_KEY, next);
    member = next;
    return true;
  }

  /** Whether the local member's record says it is authorized (false without a cluster). */
  synchronized boolean authorized() {
    return member != null && member.authorized;
  }

  /** Whether the local member lost its authorization in a crash and has not got it back. */
  synchronized boolean authorizationLost() {
    return member != null && !member.authorized && member.authorizationLost;
  }

  synchronized ServiceRow service() {
    return copy(service, ServiceRow.class);
  }

  synchronized ServiceRow updateService(UnaryOperator<ServiceRow> change) {
    ServiceRow next = change.apply(service());
    save(SERVICE_KEY, next);
    service = next;
    return copy(next, ServiceRow.class);
  }

  synchronized List<ClientRow> clients() {
    return copy(clients, ClientsRow.class).clients;
  }

  synchronized void updateClients(UnaryOperator<ClientsRow> change) {
    ClientsRow next = change.apply(copy(clients, ClientsRow.class));
    save(CLIENTS_KEY, next);
    clients = next;
  }

  boolean running() {
    return running;
  }

  /** Whether a start of the service is under way (its status reads stopped until it ends). */
  boolean starting() {
    return starting;
  }

  void starting(boolean value) {
    starting = value;
  }

  void running(boolean value) {
    running = value;
  }

  boolean restartRequired() {
    return restartRequired;
  }

  void restartRequired(boolean value) {
    restartRequired = value;
  }

  private static byte[] json(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void save(String key, Object value) {
    byte[] bytes = json(value);
    store.write(
        tx -> {
          tx.putHsmState(key, bytes);
          return null;
        });
  }

  private static <T> T copy(T value, Class<T> type) {
    try {
      return JSON.readValue(JSON.writeValueAsBytes(value), type);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
