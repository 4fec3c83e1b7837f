package dev.keyring.sim.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.server.ClusterServiceState.ClientRow;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clients registered with the cluster, as replicated state: one cluster value per client,
 * {@code client.<serial>} (the certificate's serial number in lowercase hexadecimal) holding its
 * row as JSON. Registering and revoking are replicated writes (through the primary, acknowledged by
 * a majority, refused on a read-only member), so a client registered through any member is listed
 * on every member, and a revocation through any member holds on every one.
 *
 * <p>This member's view is read from its store whenever the replicated state changes under it
 * ({@link #reload()}, called by the member's applied-entry listener and after its own writes). Each
 * reload gives the member's PKI the revoked serial numbers, so the crypto API refuses them at the
 * next handshake and the next request, and tells {@code onRevoked} of every serial newly revoked,
 * so that the member closes that client's sessions and connections.
 *
 * <p>Registrations kept by earlier versions on one member only ({@code hsm_state} row {@value
 * ClusterServiceState#CLIENTS_KEY}) are moved into the cluster's state by {@link #migrateLegacy()}.
 * Thread-safe.
 */
final class RegisteredClients {
  static final String PREFIX = "client.";
  private static final Logger LOG = LoggerFactory.getLogger(RegisteredClients.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Appliance appliance;
  private final ClusterServiceState legacy;
  private final Consumer<BigInteger> onRevoked;
  private volatile Map<String, ClientRow> view = Map.of();

  RegisteredClients(
      Appliance appliance, ClusterServiceState legacy, Consumer<BigInteger> onRevoked) {
    this.appliance = appliance;
    this.legacy = legacy;
    this.onRevoked = onRevoked;
  }

  /** The registered clients, revoked ones too, in serial order. */
  List<ClientRow> list() {
    List<ClientRow> out = new ArrayList<>();
    for (ClientRow r : view.values()) {
      out.add(copy(r));
    }
    return out;
  }

  int size() {
    return view.size();
  }

  /** The client whose certificate has serial {@code serial} (lowercase hexadecimal). */
  Optional<ClientRow> get(String serial) {
    ClientRow r = view.get(serial);
    return r == null ? Optional.empty() : Optional.of(copy(r));
  }

  /**
   * Records a new registration as a replicated write; it is listed on every member once this
   * returns. Refused like any write when this member cannot write (read-only, removed).
   */
  void register(ClientRow row) {
    String name = PREFIX + row.serial;
    byte[] value = encode(row);
    appliance
        .writer()
        .write(
            tx -> {
              if (tx.clusterValue(name).isPresent()) {
                throw new HsmException(
                    ResultCode.CKR_FUNCTION_FAILED,
                    "a client with certificate serial " + row.serial + " is already registered");
              }
              tx.putClusterValue(name, value);
              return null;
            });
    reload();
  }

  /**
   * Marks the client with certificate serial {@code serial} revoked at {@code at}, as a replicated
   * write: once this returns, every live member refuses it.
   *
   * @return false when it was revoked already (an unknown serial is a 404 refusal)
   */
  boolean revoke(String serial, String at) {
    String name = PREFIX + serial;
    Boolean changed =
        appliance
            .writer()
            .write(
                tx -> {
                  byte[] raw =
                      tx.lockClusterValue(name)
                          .orElseThrow(
                              () ->
                                  ApiError.notFound("no client has certificate serial " + serial));
                  ClientRow r = decode(name, raw);
                  if (r.revokedAt != null) {
                    return false;
                  }
                  r.revokedAt = at;
                  tx.putClusterValue(name, encode(r));
                  return true;
                });
    reload();
    return changed;
  }

  /**
   * Reads the registered clients from this member's store again, gives the PKI the revoked serial
   * numbers, and tells {@code onRevoked} of each one newly revoked. Called whenever replicated
   * client state may have changed; calls are serialized, so each revocation is told once.
   */
  synchronized void reload() {
    Map<String, ClientRow> next = new LinkedHashMap<>();
    Set<BigInteger> revoked = new HashSet<>();
    if (appliance.cluster().isPresent()) {
      for (Map.Entry<String, byte[]> e : appliance.store().clusterValues(PREFIX).entrySet()) {
        ClientRow r;
        try {
          r = decode(e.getKey(), e.getValue());
        } catch (HsmException damaged) {
          LOG.warn("{}; it is left out of the registered clients", damaged.getMessage());
          continue;
        }
        next.put(r.serial, r);
        if (r.revokedAt != null) {
          revoked.add(new BigInteger(r.serial, 16));
        }
      }
    }
    view = Collections.unmodifiableMap(next);
    for (BigInteger serial : appliance.pki().clusterRevocations(revoked)) {
      LOG.info("client certificate {} is revoked by the cluster", serial.toString(16));
      try {
        onRevoked.accept(serial);
      } catch (RuntimeException e) {
        LOG.warn(
            "closing the sessions of revoked client certificate {} failed: {}",
            serial.toString(16),
            e.toString());
      }
    }
  }

  /**
   * Moves registrations kept on this member alone (by an earlier version) into the cluster's
   * replicated state, keeping their revocations, then forgets the local copy. Nothing to do when
   * there is none; refused like any write when this member cannot write.
   */
  void migrateLegacy() {
    List<ClientRow> old = legacy.clients();
    if (old.isEmpty() || appliance.cluster().isEmpty()) {
      return;
    }
    Map<String, byte[]> values = new LinkedHashMap<>();
    for (ClientRow r : old) {
      if (r.revokedAt == null && appliance.pki().isRevoked(new BigInteger(r.serial, 16))) {
        r.revokedAt = r.registeredAt;
      }
      values.put(PREFIX + r.serial, encode(r));
    }
    appliance
        .writer()
        .write(
            tx -> {
              values.forEach(
                  (name, value) -> {
                    if (tx.clusterValue(name).isEmpty()) {
                      tx.putClusterValue(name, value);
                    }
                  });
              return null;
            });
    legacy.updateClients(
        all -> {
          all.clients.clear();
          return all;
        });
    LOG.info("{} client registration(s) of this member moved into the cluster's state", old.size());
    reload();
  }

  private static byte[] encode(ClientRow r) {
    try {
      return JSON.writeValueAsBytes(r);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ClientRow decode(String name, byte[] raw) {
    ClientRow r;
    try {
      r = JSON.readValue(raw, ClientRow.class);
    } catch (IOException e) {
      r = null;
    }
    if (r == null
        || r.serial == null
        || !name.equals(PREFIX + r.serial)
        || !r.serial.matches("[0-9a-f]{1,40}")) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the registered client '" + name + "' is damaged");
    }
    return r;
  }

  private static ClientRow copy(ClientRow r) {
    ClientRow c = new ClientRow();
    c.serial = r.serial;
    c.commonName = r.commonName;
    c.label = r.label;
    c.monitorUser = r.monitorUser;
    c.notAfter = r.notAfter;
    c.registeredAt = r.registeredAt;
    c.revokedAt = r.revokedAt;
    return c;
  }
}
