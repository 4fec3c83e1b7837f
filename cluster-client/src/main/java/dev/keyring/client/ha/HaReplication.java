package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes through an HA group: made on one member, then cloned to every other member in rotation
 * before the call returns; a member that cannot be reached then is marked down and "needs sync",
 * and gets the object (or the deletion, or the label change) when it is recovered. The client only
 * relays what one member's HSM encrypted for the other's.
 *
 * <p>Writes are serialized with each other and with the synchronization of a recovered member, so
 * that none is missed between a member's catching up and its return to rotation.
 */
final class HaReplication {
  private static final System.Logger LOG = System.getLogger(HaReplication.class.getName());

  private final HaGroupChannel group;
  private final Object writeLock = new Object();

  /** Deletions and attribute changes a member missed while it was down, by member serial. */
  private final Map<String, Set<UUID>> missedDeletes = new ConcurrentHashMap<>();

  private final Map<String, Map<UUID, Attributes>> missedChanges = new ConcurrentHashMap<>();

  HaReplication(HaGroupChannel group) {
    this.group = group;
  }

  /**
   * Runs a write on the first member that can be reached: an active member, or a standby one when
   * every active member is down.
   */
  private <T> WriteResult<T> onOneMember(String what, HaGroupChannel.MemberCall<T> call)
      throws TransportException {
    TransportException failure = null;
    for (HaMember m : group.rotations().writers()) {
      try {
        T r = call.apply(m);
        m.operations.incrementAndGet();
        return new WriteResult<>(m, r);
      } catch (TransportException e) {
        if (e.callerSide()) {
          // nothing is known of the member, which stays in rotation; a write that may have left
          // may have been made there alone: its next synchronization compares what it holds
          if (e.requestSent()) {
            m.needsSync = true;
          }
          throw e;
        }
        group.markDown(m, e);
        if (failure != null) {
          e.addSuppressed(failure);
        }
        failure = e;
        if (e.requestSent()) {
          throw e; // it may have been made: never made twice
        }
      }
    }
    throw new TransportException(
        TransportException.Kind.CONNECT,
        "no member of HA group '" + group.group().label() + "' could make the " + what,
        failure);
  }

  private record WriteResult<T>(HaMember member, T value) {}

  /** A write that creates one object; it is cloned to the other members before this returns. */
  KeyringObject created(String what, HaGroupChannel.MemberCall<KeyringObject> call)
      throws TransportException {
    synchronized (writeLock) {
      WriteResult<KeyringObject> r = onOneMember(what, call);
      KeyringObject v = group.virtual(r.member(), r.value());
      replicate(r.member(), group.objectId(v.handle()));
      return v;
    }
  }

  KeyringKeyPair generateKeyPair(KeyGenParams params, Attributes pub, Attributes priv)
      throws TransportException {
    synchronized (writeLock) {
      WriteResult<KeyringKeyPair> r =
          onOneMember("key pair", m -> m.channel.generateKeyPair(params, pub, priv));
      KeyringObject vPub = group.virtual(r.member(), r.value().publicKey());
      KeyringObject vPriv = group.virtual(r.member(), r.value().privateKey());
      replicate(r.member(), group.objectId(vPub.handle()));
      replicate(r.member(), group.objectId(vPriv.handle()));
      return new KeyringKeyPair(vPub, vPriv);
    }
  }

  /** Clones object {@code id} from {@code source} to every other member that is up, standby too. */
  private void replicate(HaMember source, UUID id) throws TransportException {
    try (HeldInterrupt interrupt = new HeldInterrupt()) {
      replicate(source, id, interrupt);
    }
  }

  private void replicate(HaMember source, UUID id, HeldInterrupt interrupt)
      throws TransportException {
    for (HaMember target : group.members()) {
      if (target == source || target.down || target.channel == null) {
        if (target != source) {
          target.needsSync = true;
        }
        continue;
      }
      try {
        cloneObject(source, id, target);
      } catch (SourceFailure e) {
        interrupt.note(e.cause);
        // the member that made the write is gone before it could be copied (or the caller gave
        // up reading it): the write may or may not survive there, so it is not acknowledged
        if (e.cause.callerSide()) {
          target.needsSync = true; // nothing is known of the source, which stays in rotation
        } else {
          group.markDown(source, e.cause);
        }
        throw e.cause;
      } catch (TransportException e) {
        interrupt.note(e);
        if (e.callerSide()) {
          target.needsSync = true; // the caller's own failure says nothing of the target
        } else {
          group.markDown(target, e);
        }
        group.log().replicationFailed(id, target, e.getMessage());
      } catch (HsmException e) {
        target.needsSync = true;
        target.offer = null; // asked again next time: the target's cluster may be another now
        LOG.log(
            System.Logger.Level.WARNING,
            "HA group {0}: object {1} was not replicated to member {2}: {3}",
            group.group().label(),
            id,
            target.describe(),
            e.getMessage());
        group.log().replicationFailed(id, target, e.getMessage());
      }
    }
  }

  /** The source of a clone could not be reached (the target's failures are thrown as they are). */
  static final class SourceFailure extends TransportException {
    private static final long serialVersionUID = 1L;
    final transient TransportException cause;

    SourceFailure(TransportException cause) {
      super(cause.kind(), cause.getMessage(), cause);
      this.cause = cause;
    }
  }

  /** One clone: the target's offer, the source's clone for it, the target stores it. */
  void cloneObject(HaMember source, UUID id, HaMember target) throws TransportException {
    Long handle = source.handles.get(id);
    if (handle == null) {
      group.refresh(source);
      handle = source.handles.get(id);
    }
    if (handle == null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "member " + source.serial + " no longer holds object " + id);
    }
    if (target.offer == null) {
      target.offer = target.channel.cloningOffer();
    }
    byte[] bundle;
    try {
      bundle = source.channel.cloneOut(handle, target.offer);
    } catch (SourceFailure e) {
      throw e;
    } catch (TransportException e) {
      throw new SourceFailure(e);
    }
    KeyringObject stored = target.channel.cloneIn(bundle);
    target.learn(id, stored.handle());
  }

  KeyringObject setAttributes(long handle, Attributes changes) throws TransportException {
    synchronized (writeLock) {
      try (HeldInterrupt interrupt = new HeldInterrupt()) {
        UUID id = requireId(handle);
        KeyringObject result = null;
        for (HaMember m : group.members()) {
          if (m.down || m.channel == null) {
            missedChanges
                .computeIfAbsent(m.serial, k -> new ConcurrentHashMap<>())
                .merge(id, changes, Attributes::merge);
            continue;
          }
          HaGroupChannel.MemberCall<KeyringObject> change =
              on -> on.channel.setAttributes(group.ownHandle(on, handle), changes);
          try {
            KeyringObject o = change.apply(m);
            if (result == null) {
              result = group.virtual(m, o);
            }
          } catch (TransportException e) {
            if (interrupt.stops(e, result != null)) {
              throw e;
            }
            Again<KeyringObject> again = again(m, e, interrupt, change);
            if (again != null) {
              result = result == null ? group.virtual(m, again.value()) : result;
              continue;
            }
            group.markDown(m, e);
            missedChanges
                .computeIfAbsent(m.serial, k -> new ConcurrentHashMap<>())
                .merge(id, changes, Attributes::merge);
          }
        }
        if (result == null) {
          throw unreachable("attribute change");
        }
        return result;
      }
    }
  }

  void destroy(long handle) throws TransportException {
    synchronized (writeLock) {
      try (HeldInterrupt interrupt = new HeldInterrupt()) {
        UUID id = requireId(handle);
        boolean done = false;
        for (HaMember m : group.members()) {
          if (m.down || m.channel == null) {
            missedDeletes.computeIfAbsent(m.serial, k -> ConcurrentHashMap.newKeySet()).add(id);
            continue;
          }
          try {
            deleteOn(m, id, false);
            done = true;
          } catch (TransportException e) {
            if (interrupt.stops(e, done)) {
              throw e;
            }
            if (again(m, e, interrupt, on -> deleteOn(on, id, true)) != null) {
              done = true;
              continue;
            }
            group.markDown(m, e);
            missedDeletes.computeIfAbsent(m.serial, k -> ConcurrentHashMap.newKeySet()).add(id);
          }
        }
        if (!done) {
          throw unreachable("deletion");
        }
      }
    }
  }

  /**
   * Deletes object {@code id} on member {@code m}; {@code again}: a deletion cut off there before,
   * which may have been made, so an object already gone counts as deleted.
   */
  private Void deleteOn(HaMember m, UUID id, boolean again) throws TransportException {
    Long own = m.handles.get(id);
    if (own == null) {
      group.refresh(m);
      own = m.handles.get(id);
    }
    if (own != null) {
      try {
        m.channel.destroyObject(own);
      } catch (HsmException e) {
        if (!again || e.code() != ResultCode.CKR_OBJECT_HANDLE_INVALID) {
          throw e;
        }
      }
      m.forget(id);
    }
    return null;
  }

  /**
   * A change or a deletion cut off on the caller's side ({@link TransportException#callerSide()}:
   * an interrupt, or the client's own limit of calls to the member), made once more on the same
   * member, which is not at fault and stays in rotation; the same change or deletion made twice is
   * made once. Null when {@code cut} is not the caller's side or the call fails again (the member
   * is then marked down and given what it missed when it is recovered).
   */
  private static <T> Again<T> again(
      HaMember m,
      TransportException cut,
      HeldInterrupt interrupt,
      HaGroupChannel.MemberCall<T> call) {
    if (!cut.callerSide()) {
      return null;
    }
    try {
      return new Again<>(call.apply(m));
    } catch (TransportException e) {
      interrupt.note(e);
      cut.addSuppressed(e);
      return null;
    }
  }

  private record Again<T>(T value) {}

  /** Runs {@code call} on every member in rotation; at least one must answer. */
  void onEveryMember(String what, HaGroupChannel.MemberCall<Void> call) throws TransportException {
    synchronized (writeLock) {
      try (HeldInterrupt interrupt = new HeldInterrupt()) {
        boolean done = false;
        for (HaMember m : group.members()) {
          if (m.down || m.channel == null) {
            continue;
          }
          try {
            call.apply(m);
            done = true;
          } catch (TransportException e) {
            if (interrupt.stops(e, done)) {
              throw e;
            }
            group.markDown(m, e);
          }
        }
        if (!done) {
          throw unreachable(what);
        }
      }
    }
  }

  /**
   * Brings a member that was down up to date with the members in rotation (objects it lacks,
   * deletions and changes it missed), compares the versions of the objects it held already with the
   * other members' ({@link HaVersions}), then puts it back in rotation. A conflict is reported (HA
   * log, result), overwrites nothing and does not stop the recovery: the member returns to rotation
   * and passes over only the objects whose version differs from the reference member's.
   *
   * @return how many objects were cloned onto it, and the conflicts found
   */
  HaSynchronization catchUp(HaMember m) throws TransportException {
    synchronized (writeLock) {
      m.offer = null;
      group.refresh(m);
      Set<UUID> deletes = missedDeletes.getOrDefault(m.serial, Set.of());
      for (UUID id : deletes) {
        Long own = m.handles.get(id);
        if (own != null) {
          m.channel.destroyObject(own);
          m.forget(id);
        }
      }
      Map<UUID, Attributes> changes = missedChanges.getOrDefault(m.serial, Map.of());
      for (Map.Entry<UUID, Attributes> c : changes.entrySet()) {
        Long own = m.handles.get(c.getKey());
        if (own != null) {
          m.channel.setAttributes(own, c.getValue());
        }
      }
      Set<UUID> held = new LinkedHashSet<>(m.handles.keySet());
      int cloned = 0;
      for (HaMember source : group.members()) {
        if (source == m || source.down || source.channel == null) {
          continue;
        }
        group.refresh(source);
        for (UUID id : new ArrayList<>(source.handles.keySet())) {
          if (!m.handles.containsKey(id) && !deletes.contains(id)) {
            cloneObject(source, id, m);
            cloned++;
          }
        }
      }
      List<String> conflicts = compareHeld(m, held);
      missedDeletes.remove(m.serial);
      missedChanges.remove(m.serial);
      m.needsSync = false;
      m.down = false;
      return new HaSynchronization(cloned, conflicts);
    }
  }

  /**
   * Compares each object a recovering member held already with the versions the members in rotation
   * hold: the first holder in file order is the reference. Each conflict is logged and marked on
   * the members that differ; an object that went away meanwhile is skipped.
   */
  private List<String> compareHeld(HaMember m, Set<UUID> held) throws TransportException {
    m.conflicting.clear();
    List<String> conflicts = new ArrayList<>();
    for (UUID id : held) {
      List<HaMember> holders = new ArrayList<>();
      for (HaMember h : group.members()) {
        boolean up = h == m || (!h.down && h.channel != null);
        if (up && h.handles.containsKey(id)) {
          holders.add(h);
        }
      }
      HaVersions.Conflict c;
      try {
        c = HaVersions.find(id, holders);
      } catch (HsmException e) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "HA group {0}: object {1} not compared: {2}",
            group.group().label(),
            id,
            e.getMessage());
        continue;
      }
      holders.forEach(h -> h.conflicting.remove(id));
      if (c != null) {
        c.markDiffering();
        conflicts.add(c.line());
        group.log().recoveryConflict(m, c.line());
      }
    }
    return conflicts;
  }

  /**
   * Runs {@code change} with no write under way: a member that leaves the group then misses no
   * write made through it, and one that enters it none made before.
   */
  void exclusively(Runnable change) {
    synchronized (writeLock) {
      change.run();
    }
  }

  /**
   * Brings a member new to the group in sync ({@link #catchUp}), then runs {@code enter}, which
   * puts it in rotation, before any other write: it serves only once it holds every object of the
   * group. Returns how many objects were cloned onto it (conflicting versions it already held are
   * logged and marked as a recovery does).
   */
  int admit(HaMember m, Runnable enter) throws TransportException {
    synchronized (writeLock) {
      int cloned = catchUp(m).cloned();
      enter.run();
      return cloned;
    }
  }

  /**
   * Gives every member that is up every object another member that is up holds, and compares the
   * versions of the objects several of them hold (their attributes as each member answers them): an
   * object held in different versions is reported and left as it is on every member, and the
   * members whose version differs from the reference member's pass it over.
   */
  HaSynchronization synchronizeAll() throws TransportException {
    synchronized (writeLock) {
      List<HaMember> alive = new ArrayList<>();
      for (HaMember m : group.members()) {
        if (!m.down && m.channel != null) {
          group.refresh(m);
          m.conflicting.clear();
          alive.add(m);
        }
      }
      Set<UUID> all = new LinkedHashSet<>();
      for (HaMember m : alive) {
        all.addAll(m.handles.keySet());
      }
      int cloned = 0;
      List<String> conflicts = new ArrayList<>();
      for (UUID id : all) {
        List<HaMember> holders = new ArrayList<>();
        for (HaMember m : alive) {
          if (m.handles.containsKey(id)) {
            holders.add(m);
          }
        }
        HaVersions.Conflict conflict = HaVersions.find(id, holders);
        if (conflict != null) {
          conflict.markDiffering();
          conflicts.add(conflict.line());
          group.log().conflict(conflict.line());
          continue; // which version is right is the operator's decision: none is copied
        }
        for (HaMember target : alive) {
          if (!target.handles.containsKey(id)) {
            cloneObject(holders.get(0), id, target);
            cloned++;
          }
        }
      }
      for (HaMember m : alive) {
        m.needsSync = false;
      }
      group.log().synchronizedGroup(alive.size(), cloned, conflicts.size());
      return new HaSynchronization(cloned, conflicts);
    }
  }

  /** The members that are down, or lack an object a member that is up holds (read again). */
  List<String> membersNeedingSync() throws TransportException {
    Set<UUID> all = new java.util.HashSet<>();
    for (HaMember m : group.rotations().writers()) {
      group.refresh(m);
      all.addAll(m.handles.keySet());
    }
    List<String> out = new ArrayList<>();
    for (HaMember m : group.members()) {
      if (m.down || !m.handles.keySet().containsAll(all)) {
        out.add(m.serial);
      }
    }
    return out;
  }

  private UUID requireId(long handle) {
    UUID id = group.objectId(handle);
    if (id == null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "HA group '" + group.group().label() + "' has no object with handle " + handle);
    }
    return id;
  }

  private TransportException unreachable(String what) {
    return new TransportException(
        TransportException.Kind.CONNECT,
        "no member of HA group '" + group.group().label() + "' could make the " + what);
  }
}
