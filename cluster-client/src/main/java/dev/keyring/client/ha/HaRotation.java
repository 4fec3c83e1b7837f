package dev.keyring.client.ha;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Which members of an HA group serve a call. Active members take turns (round-robin); standby
 * members serve only while every active member is down. A member that cannot be reached is taken
 * out of rotation (down, "needs sync") until it is recovered.
 */
final class HaRotation {
  private static final System.Logger LOG = System.getLogger(HaRotation.class.getName());

  private final String label;
  private final Supplier<List<HaMember>> members;
  private final HaLog log;
  private final AtomicInteger next = new AtomicInteger();
  private volatile boolean standbyServing;

  HaRotation(String label, Supplier<List<HaMember>> members, HaLog log) {
    this.label = label;
    this.members = members;
    this.log = log;
  }

  /**
   * The members that serve now, starting with the next in turn: the active members that are up, or,
   * when every active member is down, the standby members that are up.
   */
  List<HaMember> rotation() {
    List<HaMember> alive = serving(false);
    if (alive.isEmpty()) {
      alive = serving(true);
      if (!alive.isEmpty() && !standbyServing) {
        standbyServing = true;
        log.standbyServing(alive);
      }
    } else {
      standbyServing = false;
    }
    if (alive.size() > 1) {
      int start = Math.floorMod(next.getAndIncrement(), alive.size());
      List<HaMember> turned = new ArrayList<>(alive.subList(start, alive.size()));
      turned.addAll(alive.subList(0, start));
      return turned;
    }
    return alive;
  }

  /** The members that are up, active ones first in file order, then standby ones: for writes. */
  List<HaMember> writers() {
    List<HaMember> out = serving(false);
    out.addAll(serving(true));
    return out;
  }

  private List<HaMember> serving(boolean standby) {
    List<HaMember> out = new ArrayList<>();
    for (HaMember m : members.get()) {
      if (m.standby == standby && !m.down && m.channel != null) {
        out.add(m);
      }
    }
    return out;
  }

  /**
   * Runs a call that may be repeated on the members in rotation until one answers: a member that
   * cannot be reached is marked down, one that lacks the object is marked as needing sync, and the
   * call goes on to the next; when every active member is down, on to the standby members.
   */
  <T> T onAnyMember(String what, HaGroupChannel.MemberCall<T> call) throws TransportException {
    List<HaMember> tried = new ArrayList<>();
    Exception failure = null;
    List<HaMember> order = rotation();
    while (!order.isEmpty()) {
      for (HaMember m : order) {
        tried.add(m);
        try {
          T result = call.apply(m);
          m.operations.incrementAndGet();
          return result;
        } catch (TransportException e) {
          if (e.callerSide()) {
            throw e; // a read: nothing changed, and nothing is known of the member
          }
          markDown(m, e);
          failure = HaMember.suppressing(e, failure);
        } catch (HsmException e) {
          if (e.code() != ResultCode.CKR_OBJECT_HANDLE_INVALID) {
            throw e;
          }
          m.needsSync = true;
          failure = HaMember.suppressing(e, failure);
        }
      }
      order = new ArrayList<>(rotation());
      order.removeAll(tried); // the standby members, once every active one went down
    }
    if (failure instanceof HsmException) {
      throw (HsmException) failure;
    }
    throw new TransportException(
        TransportException.Kind.CONNECT,
        "no member of HA group '" + label + "' could serve " + what + ": every member is down",
        failure);
  }

  /** Takes a member out of rotation until it is recovered. */
  void markDown(HaMember m, Exception why) {
    if (!m.down) {
      LOG.log(
          System.Logger.Level.WARNING,
          "HA group {0}: member {1} is down, taken out of rotation: {2}",
          label,
          m.describe(),
          why.getMessage());
      log.memberDown(m, why.getMessage());
      m.failedRecoveries = 0;
    }
    m.down = true;
    m.needsSync = true;
  }
}
