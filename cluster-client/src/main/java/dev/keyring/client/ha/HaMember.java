package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CloningMessages;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One member of an open HA group: a keyring slot named by its serial number, the cluster it was
 * found on, its session, whether it is standby, whether it is in rotation, and the handles of the
 * group's objects on it.
 */
final class HaMember {
  final String serial;
  volatile int clusterIndex = -1;
  volatile UUID keyringId;
  volatile String label = "";
  volatile KeyringChannel channel;
  volatile boolean down;

  /** A standby member receives every object but serves only while every active member is down. */
  volatile boolean standby;

  volatile boolean needsSync;
  volatile CloningMessages.CloningOffer offer;
  volatile int failedRecoveries;
  final AtomicLong operations = new AtomicLong();

  /** Object id → handle on this member, and back. */
  final Map<UUID, Long> handles = new ConcurrentHashMap<>();

  final Map<Long, UUID> ids = new ConcurrentHashMap<>();

  /**
   * Objects this member holds in another version than the reference member (the first member in
   * file order that holds them): object id → the reference member's serial. The member passes them
   * over until the conflict is resolved.
   */
  final Map<UUID, String> conflicting = new ConcurrentHashMap<>();

  HaMember(String serial) {
    this.serial = serial;
  }

  /** The members {@code group} names, in its order, each standby or not as it says. */
  static List<HaMember> of(HaGroupEntry group) {
    List<HaMember> list = new ArrayList<>();
    for (String serial : group.memberSerials()) {
      HaMember m = new HaMember(serial);
      m.standby = group.standbySerials().contains(serial);
      list.add(m);
    }
    return List.copyOf(list);
  }

  void learn(UUID objectId, long handle) {
    handles.put(objectId, handle);
    ids.put(handle, objectId);
  }

  void forget(UUID objectId) {
    conflicting.remove(objectId);
    Long h = handles.remove(objectId);
    if (h != null) {
      ids.remove(h);
    }
  }

  /**
   * Refuses object {@code id} when this member holds it in another version than the reference
   * member: CKR_OBJECT_HANDLE_INVALID, so that the call goes on to the next member, as for an
   * object a member lacks.
   */
  void requireSameVersion(UUID id) {
    String reference = id == null ? null : conflicting.get(id);
    if (reference != null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "member "
              + serial
              + " holds another version of object "
              + id
              + " than member "
              + reference
              + ": passed over until the conflict is resolved (hagroup synchronize lists it)");
    }
  }

  /**
   * Refuses a find while this member holds any object in another version than the reference member
   * (its answer could differ from the reference member's): passed over like {@link
   * #requireSameVersion}.
   */
  void requireNoConflicts() {
    for (UUID id : conflicting.keySet()) {
      requireSameVersion(id);
    }
  }

  /** Where it is, for messages and logs: serial, label, cluster. */
  String describe() {
    return serial
        + (label.isEmpty() ? "" : " (" + label + ")")
        + (clusterIndex < 0 ? "" : String.format(" on cluster %02d", clusterIndex));
  }

  @Override
  public String toString() {
    return "HaMember[" + describe() + (down ? " down" : " alive") + "]";
  }

  /** {@code next}, with {@code earlier} (if any) attached as suppressed: failures met in turn. */
  static Exception suppressing(Exception next, Exception earlier) {
    if (earlier != null) {
      next.addSuppressed(earlier);
    }
    return next;
  }
}
