package dev.keyring.sim.cluster;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ChangeSet;
import dev.keyring.store.LogCodec;
import dev.keyring.store.LogEntry;
import dev.keyring.store.LogPosition;
import dev.keyring.store.Recorded;
import dev.keyring.store.ReplicationConflictException;
import dev.keyring.store.RowChange;
import dev.keyring.store.SnapshotStream;
import dev.keyring.store.StoreTransaction;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's side of replication: writes ordered into the log, followers' writes checked and
 * appended, and followers' polls answered with the entries they miss. A write is acknowledged once
 * a majority of the membership holds its entry (see {@link Quorum#counted}) and every live follower
 * (one that polled within {@link ClusterNode#LIVE}) acknowledged it, or the live ones ran out of
 * time; without a majority it is never acknowledged. A follower that is away catches up when it
 * polls again.
 */
final class ReplicationLeader {
  private static final int MAX_ENTRIES_PER_POLL = 256;

  /**
   * At most this many bytes of entries per poll answer (always one entry at least): a follower must
   * hear from the primary within the live window, and a few large entries (a hundred keyrings each)
   * would otherwise make an answer that a busy member cannot deliver in time, poll after poll.
   */
  private static final long MAX_POLL_BYTES = 256 * 1024;

  /**
   * How many of the newest entries a compaction keeps while a member of the membership is away (has
   * not polled within the live window), so that it catches up from the log if it returns soon.
   */
  static final int RETAINED_ENTRIES = 256;

  private static final Duration MAX_POLL_WAIT = Duration.ofSeconds(1);
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationLeader.class);

  private final ReplicaState state;
  private final PeerLiveness liveness;
  private final Duration majorityGrace;
  // each follower's acknowledged sequence
  private final Map<String, Long> acked = new ConcurrentHashMap<>();
  // the log is compacted through here (what this primary did, or what its store's base says)
  private volatile long compacted;
  private final WriteTurn turn;

  ReplicationLeader(ReplicaState state, PeerLiveness liveness, Duration majorityGrace) {
    this.state = state;
    this.liveness = liveness;
    this.majorityGrace = majorityGrace;
    this.turn = new WriteTurn(state);
    this.compacted = state.store.logBase().sequence();
  }

  /**
   * Runs {@code work} as the primary and appends its entry, or returns null when this member is not
   * the primary. The caller then waits for the acknowledgements ({@link #awaitReplicated}).
   */
  <T> Recorded<T> writeIfPrimary(Function<StoreTransaction, T> work, boolean membershipChange) {
    Recorded<T> done;
    Set<String> counted;
    if (!membershipChange) {
      awaitMajority();
      turn.await(null);
    }
    state.gate.readLock().lock();
    try {
      if (!state.isPrimary()) {
        return null;
      }
      // a change of the membership may be what restores a majority (deleting a lost member): it
      // is checked against the membership after it, by the acknowledgement itself
      if (!membershipChange && !liveness.seesMajority()) {
        throw noMajority();
      }
      Membership before = state.membership();
      done = state.store.writeAsPrimary(before.epoch(), work);
      if (done.entry() == null) {
        return done;
      }
      state.appended(done.entry());
      counted = Quorum.counted(ids(before), ids(state.membership()));
    } finally {
      state.gate.readLock().unlock();
    }
    awaitReplicated(done.entry().position().sequence(), counted);
    return done;
  }

  /**
   * Runs {@code work} as the primary and appends its entry without asking for a majority and
   * without waiting for any member: one keyring of a restore, which the operator runs while the
   * cluster services of the other members are stopped. They take the entry (or a snapshot holding
   * it) when they start again. Refused (CKR_FUNCTION_FAILED) when this member is not the primary.
   */
  <T> Recorded<T> writeUnacknowledged(Function<StoreTransaction, T> work) {
    state.gate.readLock().lock();
    try {
      if (!state.isPrimary()) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "member " + state.name + " is not the primary: a restore runs on the primary only");
      }
      Recorded<T> done = state.store.writeAsPrimary(state.membership().epoch(), work);
      if (done.entry() != null) {
        state.appended(done.entry());
      }
      return done;
    } finally {
      state.gate.readLock().unlock();
    }
  }

  private static boolean changesMembership(ChangeSet changes) {
    return changes.changes().stream()
        .anyMatch(c -> c instanceof RowChange.ClusterValue v && v.name().equals(Membership.KEY));
  }

  private static List<String> ids(Membership m) {
    List<String> out = new ArrayList<>();
    m.members().forEach(e -> out.add(e.memberId()));
    return out;
  }

  /**
   * Waits up to the grace for a majority to have polled this primary (outside the gate: a promotion
   * or a membership change is never held up by it). Whether it came is checked again under the
   * gate; a majority that stays away costs a write the grace, then refuses it.
   */
  private void awaitMajority() {
    if (majorityGrace.isZero() || !state.isPrimary() || liveness.seesMajority()) {
      return;
    }
    try {
      state.awaitSignal(
          () -> liveness.seesMajority() || !state.isPrimary() || state.closed(), majorityGrace);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "interrupted while awaiting a majority");
    }
  }

  private HsmException noMajority() {
    Membership m = state.membership();
    return new HsmException(
        ResultCode.CKR_TOKEN_WRITE_PROTECTED,
        "member "
            + state.name
            + " is the primary but does not see a majority of the "
            + m.members().size()
            + " members; nothing was changed: writes need a majority (or delete the lost members"
            + " from a member that sees the others)");
  }

  /** A follower's write: its before-images checked, then appended and acknowledged. */
  PeerMessages.SubmitAnswer submit(PeerMessages.Submit s, String fingerprint) {
    Membership m = state.membership();
    Optional<Membership.Entry> caller = m.byFingerprint(fingerprint);
    if (caller.isEmpty() || !caller.get().memberId().equals(s.memberId())) {
      return new PeerMessages.SubmitAnswer(
          "refused",
          m.epoch(),
          0,
          ResultCode.CKR_FUNCTION_REJECTED.name(),
          "member " + s.memberId() + " is not a member of this cluster");
    }
    ChangeSet changes = LogCodec.decode(s.changes()).changes();
    if (!changesMembership(changes)) {
      awaitMajority();
      turn.await(s.memberId());
    }
    LogEntry entry;
    Set<String> counted;
    boolean conflicted = false;
    state.gate.readLock().lock();
    try {
      Membership before = state.membership();
      long epoch = before.epoch();
      if (!state.isPrimary()) {
        return new PeerMessages.SubmitAnswer(
            "notPrimary", epoch, 0, null, "this member is not the primary");
      }
      if (!changesMembership(changes) && !liveness.seesMajority()) {
        HsmException e = noMajority();
        return new PeerMessages.SubmitAnswer("refused", epoch, 0, e.code().name(), e.getMessage());
      }
      try {
        entry = state.store.appendAsPrimary(epoch, changes);
      } catch (ReplicationConflictException e) {
        conflicted = true;
        turn.conflicted(s.memberId(), s.attempt());
        return new PeerMessages.SubmitAnswer(
            "conflict", epoch, state.store.position().sequence(), null, e.getMessage());
      } catch (HsmException e) {
        return new PeerMessages.SubmitAnswer("refused", epoch, 0, e.code().name(), e.getMessage());
      }
      state.appended(entry);
      counted = Quorum.counted(ids(before), ids(state.membership()));
    } finally {
      state.gate.readLock().unlock();
      if (!conflicted) {
        turn.release(s.memberId()); // decided: the writes waiting for this member go on
      }
    }
    try {
      awaitReplicated(entry.position().sequence(), counted);
    } catch (HsmException e) {
      return new PeerMessages.SubmitAnswer(
          "refused", entry.position().epoch(), 0, e.code().name(), e.getMessage());
    }
    return new PeerMessages.SubmitAnswer(
        "ok", entry.position().epoch(), entry.position().sequence(), null, null);
  }

  /**
   * Waits until a majority of {@code counted} holds {@code sequence} and every live follower
   * acknowledged it. A live follower that does not in time is left to catch up later; a majority
   * that does not is an error that says the write may or may not be kept.
   */
  void awaitReplicated(long sequence, Set<String> counted) {
    boolean all =
        state.awaitLog(
            () -> (holding(sequence, counted) && lagging(sequence) == null) || !state.isPrimary());
    if (!holding(sequence, counted)) {
      Membership m = state.membership();
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "the write is in member "
              + state.name
              + "'s log, but a majority of the "
              + m.members().size()
              + " members did not confirm it in time"
              + (state.isPrimary() ? "" : " (a newer primary took over)")
              + ": it may or may not be kept; check, then try again");
    }
    if (!all) {
      LOG.warn(
          "{} did not acknowledge entry {} in time; going on without it (a majority holds it)",
          lagging(sequence),
          sequence);
    }
  }

  /** Whether a majority of {@code counted} holds {@code sequence} (this member: when counted). */
  private boolean holding(long sequence, Set<String> counted) {
    int holding = 0;
    for (String id : counted) {
      if (id.equals(state.memberId) ? state.lastSequence() >= sequence : ack(id) >= sequence) {
        holding++;
      }
    }
    return holding >= Quorum.majority(counted.size());
  }

  private long ack(String memberId) {
    return acked.getOrDefault(memberId, -1L);
  }

  /** The last sequence {@code memberId} acknowledged to this primary, or -1. */
  long acknowledged(String memberId) {
    return ack(memberId);
  }

  /** A live follower that has not acknowledged {@code sequence}, or null. */
  private String lagging(long sequence) {
    for (Membership.Entry m : state.membership().members()) {
      if (m.memberId().equals(state.memberId) || !liveness.polledRecently(m.memberId())) {
        continue; // not live: it catches up when it comes back
      }
      Long a = acked.get(m.memberId());
      if (a == null || a < sequence) {
        return m.name();
      }
    }
    return null;
  }

  /** Waits until {@code memberId} acknowledged {@code sequence}; false when the time ran out. */
  boolean awaitAcknowledged(String memberId, long sequence) {
    return state.awaitLog(() -> acked.getOrDefault(memberId, -1L) >= sequence);
  }

  /** On becoming the primary: followers' earlier polls and acknowledgements count no more. */
  void forgetFollowers() {
    liveness.forgetPolls();
    acked.clear();
  }

  /**
   * A follower's poll: its acknowledgement of what it holds, answered with the entries after it
   * (waiting up to its wait, at most a second, for new ones).
   */
  PeerMessages.PollAnswer poll(PeerMessages.Poll p, String fingerprint) {
    Optional<Membership.Entry> caller = state.membership().byFingerprint(fingerprint);
    if (caller.isEmpty() || !caller.get().memberId().equals(p.memberId())) {
      return answer("removed", List.of());
    }
    if (!state.isPrimary()) {
      return answer("notPrimary", List.of());
    }
    if (p.promisedEpoch() > state.membership().epoch()) {
      return answer("fenced", List.of()); // it voted for a newer primary: nothing it says counts
    }
    String id = p.memberId();
    liveness.polledBy(id);
    LogPosition mine = state.store.position();
    if (p.sequence() > mine.sequence()) {
      return answer("resync", List.of());
    }
    if (p.sequence() > 0) {
      Optional<Long> e = state.store.epochAt(p.sequence());
      if (e.isEmpty() || e.get() != p.epoch()) {
        return answer("resync", List.of());
      }
    }
    state.signal(() -> acked.merge(id, p.sequence(), Math::max));
    Duration wait = Duration.ofMillis(Math.max(0, p.waitMillis()));
    try {
      state.awaitSignal(
          () -> state.lastSequence() > p.sequence() || state.closed() || !state.isPrimary(),
          wait.compareTo(MAX_POLL_WAIT) > 0 ? MAX_POLL_WAIT : wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<byte[]> out = new ArrayList<>();
    long bytes = 0;
    for (LogEntry e : state.store.entriesAfter(p.sequence(), MAX_ENTRIES_PER_POLL)) {
      byte[] encoded = LogCodec.encode(e);
      if (!out.isEmpty() && bytes + encoded.length > MAX_POLL_BYTES) {
        break; // the rest comes with the next poll: an answer must arrive well within the window
      }
      out.add(encoded);
      bytes += encoded.length;
    }
    liveness.polledBy(id);
    return answer("ok", out);
  }

  private PeerMessages.PollAnswer answer(String status, List<byte[]> entries) {
    Membership m = state.membership();
    Map<String, Boolean> vis = new HashMap<>();
    for (Membership.Entry e : m.members()) {
      vis.put(e.memberId(), liveness.visible(e.memberId()));
    }
    return new PeerMessages.PollAnswer(
        status, state.primaryId(), m.epoch(), state.lastSequence(), entries, vis, compacted);
  }

  /**
   * Compacts the log through the last entry every live member holds. While every member of the
   * membership polls, that is all of it they hold: the log keeps only what some member still lacks,
   * so the store stays near the size of the live state. While a member is away (it has not polled
   * within the live window), the newest {@link #RETAINED_ENTRIES} entries are kept as well, so that
   * it catches up from the log rather than a snapshot if it returns soon; it does not hold the log
   * back otherwise: when it returns behind the log's base, it installs a snapshot.
   *
   * @return how many entries were dropped
   */
  int compact() {
    if (!state.isPrimary()) {
      return 0;
    }
    long through = state.lastSequence();
    boolean someoneAway = false;
    for (Membership.Entry e : state.membership().members()) {
      if (e.memberId().equals(state.memberId)) {
        continue;
      }
      if (liveness.polledRecently(e.memberId())) {
        through = Math.min(through, ack(e.memberId()));
      } else {
        someoneAway = true;
      }
    }
    if (someoneAway) {
      through = Math.min(through, state.lastSequence() - RETAINED_ENTRIES);
    }
    if (through <= compacted) {
      return 0;
    }
    int dropped = state.store.compactLogThrough(through);
    compacted = through;
    return dropped;
  }

  /**
   * Refuses a caller that is not a member of the cluster; called before a snapshot is streamed, so
   * that the refusal is an answer of its own.
   */
  void checkSnapshotCaller(String fingerprint) {
    if (state.membership().byFingerprint(fingerprint).isEmpty()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_REJECTED, "only members of this cluster may copy its state");
    }
  }

  /**
   * Streams this member's whole state to {@code out} (a member of the cluster catches up or joins):
   * rows written as they are read, in one consistent read, a chunk at a time.
   */
  LogPosition writeSnapshot(String fingerprint, OutputStream out) {
    checkSnapshotCaller(fingerprint);
    return state.store.writeSnapshot(out, SnapshotStream.DEFAULT_CHUNK);
  }
}
