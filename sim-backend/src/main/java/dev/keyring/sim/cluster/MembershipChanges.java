package dev.keyring.sim.cluster;

import static dev.keyring.sim.cluster.ReplicaState.requireMember;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.LogPosition;
import dev.keyring.store.Recorded;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes of the membership, replicated like any write: affinity groups, addresses, promotion (the
 * primary hands its role over once the target holds every entry; the target starts a new epoch),
 * deleting an unrecoverable member (an unrecoverable primary is replaced by the visible member that
 * holds the most of the log) and leaving.
 */
final class MembershipChanges {
  private static final Duration PROMOTE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration HANDOVER_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration VOTE_TIMEOUT = Duration.ofSeconds(2);
  private static final Logger LOG = LoggerFactory.getLogger(MembershipChanges.class);

  private final ReplicaState state;
  private final ClusterNode writer;
  private final PeerLiveness liveness;
  private final ReplicationLeader leader;
  private final PeerTransport peers;

  MembershipChanges(
      ReplicaState state,
      ClusterNode writer,
      PeerLiveness liveness,
      ReplicationLeader leader,
      PeerTransport peers) {
    this.state = state;
    this.writer = writer;
    this.liveness = liveness;
    this.leader = leader;
    this.peers = peers;
  }

  /** A replicated change of the membership (through the primary). */
  Membership change(Function<Membership, Membership> change) {
    return writer.write(
        tx -> {
          Membership cur =
              tx.clusterValue(Membership.KEY)
                  .map(Membership::decode)
                  .orElseThrow(
                      () -> new HsmException(ResultCode.CKR_DEVICE_ERROR, "no membership"));
          Membership next = change.apply(cur);
          tx.putClusterValue(Membership.KEY, next.encode());
          return next;
        },
        true);
  }

  /** Replaces this member's entry when its addresses changed (restarted on other ports). */
  void refreshOwnAddresses(String cryptoAddress, String adminAddress, int channelPort) {
    change(
        m ->
            m.next(
                list -> {
                  list.replaceAll(
                      e ->
                          e.memberId().equals(state.memberId)
                              ? new Membership.Entry(
                                  e.memberId(),
                                  e.name(),
                                  cryptoAddress,
                                  adminAddress,
                                  e.group(),
                                  e.certFingerprint(),
                                  channelPort)
                              : e);
                  return list;
                }));
  }

  /** Moves a member to an affinity group (created when new; at most 64). */
  Membership moveToGroup(String member, String group) {
    return change(
        m -> {
          Membership.Entry e = requireMember(m, member);
          Membership next =
              m.next(
                  list -> {
                    list.replaceAll(
                        x -> x.memberId().equals(e.memberId()) ? x.withGroup(group) : x);
                    return list;
                  });
          if (next.groups().size() > Membership.MAX_GROUPS) {
            throw new HsmException(
                ResultCode.CKR_DEVICE_MEMORY,
                "a cluster has at most " + Membership.MAX_GROUPS + " affinity groups");
          }
          return next;
        });
  }

  /** Makes {@code member} the primary (it must be read-write); asked of any active member. */
  void promote(String member) {
    Membership m = state.membership();
    Membership.Entry target = requireMember(m, member);
    if (m.isPrimary(target.memberId()) && liveness.visible(target.memberId())) {
      return;
    }
    if (liveness.readOnly(target.memberId())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member " + target.name() + " is read-only: only a read-write member can be promoted");
    }
    if (state.isPrimary()) {
      handover(target.memberId());
      return;
    }
    PeerMessages.Done d;
    try {
      d =
          peers.handover(
              state.primaryAddress(),
              new PeerMessages.Handover(target.memberId()),
              HANDOVER_TIMEOUT);
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the primary could not be reached to hand its role over: " + e.getMessage());
    }
    requireDone(d);
  }

  /** On the primary: waits until the target holds every entry, then makes it primary. */
  PeerMessages.Done handover(String targetId) {
    if (!state.isPrimary()) {
      return new PeerMessages.Done(false, "member " + state.name + " is not the primary");
    }
    Membership.Entry target = requireMember(state.membership(), targetId);
    if (target.memberId().equals(state.memberId)) {
      return new PeerMessages.Done(true, "already primary");
    }
    state.gate.writeLock().lock();
    try {
      boolean caughtUp;
      try {
        caughtUp = leader.awaitAcknowledged(target.memberId(), state.store.position().sequence());
      } catch (HsmException interrupted) {
        return new PeerMessages.Done(false, interrupted.getMessage());
      }
      if (!caughtUp) {
        return new PeerMessages.Done(
            false, "member " + target.name() + " did not catch up with the primary in time");
      }
      long epoch = state.membership().epoch() + 1;
      PeerMessages.Done d =
          peers.promote(
              target.cryptoAddress(), new PeerMessages.Promote(epoch, List.of()), PROMOTE_TIMEOUT);
      if (d.ok()) {
        state.primaryHint(target.memberId());
        state.sawEpoch(epoch);
        LOG.info("{} handed the primary role to {} (epoch {})", state.name, target.name(), epoch);
      }
      return d;
    } catch (IOException e) {
      return new PeerMessages.Done(
          false, "member " + target.name() + " could not be reached: " + e.getMessage());
    } finally {
      state.gate.writeLock().unlock();
    }
  }

  /** Becomes the primary in {@code epoch} (asked by the old primary or by a deleting member). */
  PeerMessages.Done becomePrimary(PeerMessages.Promote p) {
    state.gate.writeLock().lock();
    try {
      Membership cur = state.membership();
      if (p.epoch() <= cur.epoch()) {
        return new PeerMessages.Done(
            false, "epoch " + p.epoch() + " is not newer than this member's " + cur.epoch());
      }
      if (p.epoch() < state.promisedEpoch()) {
        return new PeerMessages.Done(
            false,
            "member "
                + state.name
                + " promised its vote for epoch "
                + state.promisedEpoch()
                + ", newer than "
                + p.epoch());
      }
      Recorded<Membership> r =
          state.store.writeAsPrimary(
              p.epoch(),
              tx -> {
                Membership m = tx.clusterValue(Membership.KEY).map(Membership::decode).orElse(cur);
                Membership next =
                    m.withPrimary(state.memberId, p.epoch())
                        .next(
                            list -> {
                              list.removeIf(e -> p.remove().contains(e.memberId()));
                              return list;
                            });
                tx.putClusterValue(Membership.KEY, next.encode());
                return next;
              });
      state.primaryHint(null);
      state.sawEpoch(p.epoch());
      leader.forgetFollowers();
      state.appended(r.entry());
      LOG.info("{} is now the primary (epoch {})", state.name, p.epoch());
      return new PeerMessages.Done(true, state.name + " is the primary");
    } finally {
      state.gate.writeLock().unlock();
    }
  }

  /**
   * Deletes a member that this member cannot see (unrecoverable). Deleting the primary promotes the
   * visible member that holds the most of the log.
   */
  void deleteUnrecoverable(String member) {
    Membership m = state.membership();
    Membership.Entry target = requireMember(m, member);
    if (target.memberId().equals(state.memberId)) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member " + state.name + " is the member you are talking to: make it leave instead");
    }
    if (liveness.visible(target.memberId())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member "
              + target.name()
              + " is visible to "
              + state.name
              + ": only a member that cannot be reached may be deleted; a reachable one leaves");
    }
    if (!m.isPrimary(target.memberId())) {
      remove(target.memberId());
      return;
    }
    replacePrimary(m, target);
  }

  /**
   * Replaces an unrecoverable primary: asks the other members for their votes in a new epoch, and
   * when enough gave theirs ({@link Quorum#votesToReplace}), promotes the voter holding the most of
   * the log. A voter never again acknowledges an entry of the old epoch, so the old primary, if it
   * is in fact alive, can no longer gather a majority; and every entry it had acknowledged is held
   * by at least one voter, so the new primary holds it. Too few votes: they are taken back and
   * nothing changes.
   */
  private void replacePrimary(Membership m, Membership.Entry old) {
    long epoch = Math.max(Math.max(m.epoch(), state.highestEpochSeen()), state.promisedEpoch()) + 1;
    PeerMessages.Fence ask = new PeerMessages.Fence(epoch, state.memberId);
    List<PeerMessages.FenceAnswer> votes = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (Membership.Entry e : m.members()) {
      if (e.memberId().equals(old.memberId())) {
        continue;
      }
      PeerMessages.FenceAnswer a;
      try {
        a =
            e.memberId().equals(state.memberId)
                ? vote(ask)
                : peers.fence(e.cryptoAddress(), ask, VOTE_TIMEOUT);
      } catch (IOException ex) {
        refusals.add(e.name() + ": not reachable");
        continue;
      }
      if (a.ok()) {
        votes.add(a);
      } else {
        refusals.add(e.name() + ": " + a.message());
      }
    }
    int needed = Quorum.votesToReplace(m.members().size());
    if (votes.size() < needed) {
      releaseVotes(m, votes, epoch);
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "deleting the primary "
              + old.name()
              + " needs the votes of "
              + needed
              + " of the other "
              + (m.members().size() - 1)
              + " members, and "
              + votes.size()
              + " gave theirs ("
              + String.join("; ", refusals)
              + "); nothing was changed");
    }
    PeerMessages.FenceAnswer best =
        votes.stream()
            .max(
                Comparator.comparingLong(PeerMessages.FenceAnswer::logEpoch)
                    .thenComparingLong(PeerMessages.FenceAnswer::sequence)
                    .thenComparing(a -> a.memberId().equals(state.memberId)))
            .orElseThrow();
    PeerMessages.Promote p = new PeerMessages.Promote(epoch, List.of(old.memberId()));
    LOG.info(
        "{}: {} of {} members voted to replace the primary {} in epoch {}; {} holds the most of"
            + " the log ({})",
        state.name,
        votes.size(),
        m.members().size() - 1,
        old.name(),
        epoch,
        best.memberId(),
        new LogPosition(best.logEpoch(), best.sequence()));
    if (best.memberId().equals(state.memberId)) {
      requireDone(becomePrimary(p));
      return;
    }
    try {
      requireDone(
          peers.promote(requireMember(m, best.memberId()).cryptoAddress(), p, PROMOTE_TIMEOUT));
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the member chosen as new primary could not be reached ("
              + e.getMessage()
              + "); the cluster has no primary until the delete is run again");
    }
  }

  private void releaseVotes(Membership m, List<PeerMessages.FenceAnswer> votes, long epoch) {
    PeerMessages.Release r = new PeerMessages.Release(epoch, state.memberId);
    for (PeerMessages.FenceAnswer v : votes) {
      if (v.memberId().equals(state.memberId)) {
        released(r);
        continue;
      }
      try {
        peers.release(requireMember(m, v.memberId()).cryptoAddress(), r, VOTE_TIMEOUT);
      } catch (IOException | RuntimeException e) {
        LOG.warn(
            "{}: member {} keeps its vote for epoch {} ({}); it follows no older primary until"
                + " an election in a newer epoch",
            state.name,
            v.memberId(),
            epoch,
            e.getMessage());
      }
    }
  }

  /** This member's vote in an election for a new primary. */
  PeerMessages.FenceAnswer vote(PeerMessages.Fence f) {
    String why = state.promise(f.epoch(), f.candidateId());
    if (why != null) {
      return new PeerMessages.FenceAnswer(false, state.memberId, 0, 0, why);
    }
    LogPosition p = state.store.position();
    LOG.info("{} promised its vote for epoch {} to {}", state.name, f.epoch(), f.candidateId());
    return new PeerMessages.FenceAnswer(true, state.memberId, p.epoch(), p.sequence(), null);
  }

  /** A vote taken back. */
  PeerMessages.Done released(PeerMessages.Release r) {
    boolean done = state.release(r.epoch(), r.candidateId());
    return new PeerMessages.Done(done, done ? "released" : "no such vote to take back");
  }

  /** Removes this member from the cluster (every other member must be visible). */
  void leave() {
    Membership m = state.membership();
    for (Membership.Entry e : m.members()) {
      if (!liveness.visible(e.memberId())) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "member " + e.name() + " is not visible: every other member must be online to leave");
      }
    }
    if (state.isPrimary() && m.members().size() > 1) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member " + state.name + " is the primary: promote another member first, then leave");
    }
    if (m.members().size() > 1) {
      try {
        remove(state.memberId);
      } catch (ReplicationFollower.EntryNotReceived e) {
        if (!e.made()) {
          throw e;
        }
        // the primary removed this member, and a primary sends nothing to a member it removed:
        // this one may never receive the entry of its own removal, which is made all the same
      }
    }
    state.markRemoved();
  }

  private void remove(String memberId) {
    change(
        cur ->
            cur.next(
                list -> {
                  list.removeIf(e -> e.memberId().equals(memberId));
                  return list;
                }));
  }

  private static void requireDone(PeerMessages.Done d) {
    if (!d.ok()) {
      throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, d.message());
    }
  }
}
