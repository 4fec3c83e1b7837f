package dev.keyring.sim.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.server.ClusterServiceState.ClientRow;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assignment of keyrings to clients (beyond the administration guide, off by default): one
 * cluster value, {@value #KEY}, holding whether the mode is on and, per client name (the common
 * name it registered with), the UUIDs of the keyrings assigned to it. Changes are replicated writes
 * (through the primary, acknowledged by a majority), so a change made through any member holds on
 * every member.
 *
 * <p>While the mode is on, a client sees in its slot list only the keyrings assigned to its name,
 * and opening (or logging in to) any other keyring is refused exactly as a keyring that does not
 * exist ({@code CKR_SLOT_ID_INVALID}, with the same message), before any password is looked at: the
 * client cannot tell an unassigned keyring from a missing one, and cannot lock it by guessing. A
 * client whose registration is not in the cluster's state sees no keyring. While the mode is off,
 * every registered client sees every keyring (the administration guide's behaviour) and the
 * assignments are kept for when it is turned on again.
 *
 * <p>This member's view is read from its store whenever the replicated state changes under it
 * ({@link #reload()}); each reload closes the sessions (and their logins) that are no longer
 * allowed. Thread-safe.
 */
final class KeyringAssignments {
  static final String KEY = "keyring.assignments";
  static final int MAX_CLIENTS = ClientEndpoints.MAX_CLIENTS;
  static final int MAX_KEYRINGS_PER_CLIENT = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(KeyringAssignments.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The stored form: the mode and, per client name, its keyrings' UUIDs. */
  static final class State {
    public boolean enabled;
    public TreeMap<String, TreeSet<String>> clients = new TreeMap<>();
  }

  private final Appliance appliance;
  private final RegisteredClients registered;
  private final CryptoSessions sessions;
  private volatile State view = new State();

  KeyringAssignments(Appliance appliance, RegisteredClients registered, CryptoSessions sessions) {
    this.appliance = appliance;
    this.registered = registered;
    this.sessions = sessions;
  }

  /** Whether clients see only the keyrings assigned to them. */
  boolean enabled() {
    return view.enabled;
  }

  /** Per client name, the UUIDs of its keyrings (a copy). */
  Map<String, List<String>> assignments() {
    Map<String, List<String>> out = new TreeMap<>();
    view.clients.forEach((name, ids) -> out.put(name, List.copyOf(ids)));
    return out;
  }

  /**
   * Whether the client with certificate serial {@code owner} (lowercase hexadecimal) may see and
   * open keyring {@code keyring}: always while the mode is off.
   */
  boolean allows(String owner, UUID keyring) {
    State s = view;
    if (!s.enabled) {
      return true;
    }
    Optional<ClientRow> client = registered.get(owner);
    if (client.isEmpty() || client.get().commonName == null) {
      return false;
    }
    TreeSet<String> ids = s.clients.get(client.get().commonName);
    return ids != null && ids.contains(keyring.toString());
  }

  /**
   * Refuses keyring {@code keyring} to client {@code owner} when it is not assigned to it, exactly
   * as a keyring that does not exist.
   */
  void requireAllowed(String owner, UUID keyring) {
    if (!allows(owner, keyring)) {
      throw noSuchKeyring();
    }
  }

  /** The refusal of a keyring that does not exist, word for word (see {@code KeyringService}). */
  static HsmException noSuchKeyring() {
    return new HsmException(
        ResultCode.CKR_SLOT_ID_INVALID, "no keyring has that UUID, label or serial number");
  }

  /** Turns the mode on or off (a replicated write). */
  void setEnabled(boolean enabled) {
    update(
        s -> {
          s.enabled = enabled;
          return s;
        });
  }

  /**
   * Assigns keyring {@code keyring} to the client named {@code client} (a replicated write).
   *
   * @return false when it was assigned already
   */
  boolean assign(String client, UUID keyring) {
    boolean[] added = new boolean[1];
    update(
        s -> {
          if (!s.clients.containsKey(client) && s.clients.size() >= MAX_CLIENTS) {
            throw ApiError.conflict(
                ResultCode.CKR_DEVICE_MEMORY,
                "keyrings are assigned to " + MAX_CLIENTS + " clients already");
          }
          TreeSet<String> ids = s.clients.computeIfAbsent(client, c -> new TreeSet<>());
          if (!ids.contains(keyring.toString()) && ids.size() >= MAX_KEYRINGS_PER_CLIENT) {
            throw ApiError.conflict(
                ResultCode.CKR_DEVICE_MEMORY,
                "that client has " + MAX_KEYRINGS_PER_CLIENT + " keyrings assigned already");
          }
          added[0] = ids.add(keyring.toString());
          return s;
        });
    return added[0];
  }

  /**
   * Takes keyring {@code keyring} from the client named {@code client} (a replicated write).
   *
   * @return false when it was not assigned to it
   */
  boolean unassign(String client, UUID keyring) {
    boolean[] removed = new boolean[1];
    update(
        s -> {
          TreeSet<String> ids = s.clients.get(client);
          removed[0] = ids != null && ids.remove(keyring.toString());
          if (ids != null && ids.isEmpty()) {
            s.clients.remove(client);
          }
          return s;
        });
    return removed[0];
  }

  /**
   * Reads the assignments from this member's store again and tells {@code onChanged}. Called
   * whenever the replicated value may have changed.
   */
  synchronized void reload() {
    State next = new State();
    if (appliance.cluster().isPresent()) {
      Optional<byte[]> raw = appliance.store().clusterValue(KEY);
      if (raw.isPresent()) {
        try {
          next = decode(raw.get());
        } catch (HsmException damaged) {
          // never fail open: a damaged value with the mode unknown lets clients see nothing
          LOG.warn("{}; every client sees no keyring until it is written again", damaged.detail());
          next = new State();
          next.enabled = true;
        }
      }
    }
    view = next;
    int closed = sessions.closeWhere((owner, keyring) -> !allows(owner, keyring));
    if (closed > 0) {
      LOG.info("{} session(s) on keyrings no longer assigned to their client closed", closed);
    }
  }

  private void update(UnaryOperator<State> change) {
    appliance
        .writer()
        .write(
            tx -> {
              State current =
                  tx.lockClusterValue(KEY).map(KeyringAssignments::decode).orElseGet(State::new);
              tx.putClusterValue(KEY, encode(change.apply(current)));
              return null;
            });
    reload();
  }

  private static byte[] encode(State s) {
    try {
      return JSON.writeValueAsBytes(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static State decode(byte[] raw) {
    State s;
    try {
      s = JSON.readValue(raw, State.class);
    } catch (IOException e) {
      s = null;
    }
    if (s == null || s.clients == null) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the keyring assignments '" + KEY + "' are damaged");
    }
    return s;
  }

  /** The names of the registered clients (revoked ones too). */
  List<String> clientNames() {
    List<String> out = new ArrayList<>();
    for (ClientRow r : registered.list()) {
      if (r.commonName != null && !out.contains(r.commonName)) {
        out.add(r.commonName);
      }
    }
    return out;
  }
}
