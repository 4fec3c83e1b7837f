package dev.keyring.sim.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which members this member sees, and whether it is read-write. A member is seen while it answered
 * a status probe, or polled this member (the primary), within {@link ClusterNode#LIVE}; a member
 * other than the primary is read-write while it heard from the primary within that window. Every
 * decision reads the ticker, so a test moves time instead of waiting.
 */
final class PeerLiveness {
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(800);
  private static final Logger LOG = LoggerFactory.getLogger(PeerLiveness.class);

  private final ReplicaState state;
  private final PeerTransport peers;
  private final long liveNanos = ClusterNode.LIVE.toNanos();

  // from the status prober: when each other member last answered, and what it said
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
  private final Map<String, PeerMessages.Status> lastStatus = new ConcurrentHashMap<>();
  private final Set<String> probing = ConcurrentHashMap.newKeySet();
  // on the primary: each follower's last poll
  private final Map<String, Long> lastPoll = new ConcurrentHashMap<>();
  // on a follower: the primary's last answer
  private volatile long lastPrimaryContact;

  PeerLiveness(ReplicaState state, PeerTransport peers) {
    this.state = state;
    this.peers = peers;
    this.lastPrimaryContact = state.ticker.nanoTime() - 2 * liveNanos;
  }

  /** The primary answered a poll. */
  void primaryAnswered() {
    lastPrimaryContact = state.ticker.nanoTime();
  }

  /** On the primary: {@code memberId} polled. */
  void polledBy(String memberId) {
    lastPoll.put(memberId, state.ticker.nanoTime());
  }

  /** On the primary: whether {@code memberId} polled within the live window. */
  boolean polledRecently(String memberId) {
    return recent(lastPoll.get(memberId));
  }

  /** On a new primary: what followers did before counts no more. */
  void forgetPolls() {
    lastPoll.clear();
  }

  /**
   * Read-write: the primary while it sees a majority of the membership (itself included: a write
   * needs a majority to be acknowledged), or a member that heard from the primary within the live
   * window; never while its store is unhealthy.
   */
  boolean readWrite() {
    if (!state.store.healthy() || (state.applyFailing && !state.isPrimary())) {
      // its database failed (a full disk): reads go on, writes wait until it answers, and a
      // follower waits until the primary's entries apply again (reads alone may succeed)
      return false;
    }
    if (state.isPrimary()) {
      return seesMajority();
    }
    return !state.removed() && state.ticker.nanoTime() - lastPrimaryContact < liveNanos;
  }

  /** On the primary: whether a majority of the membership polled it within the live window. */
  boolean seesMajority() {
    Membership m = state.membership();
    int seen = 0;
    for (Membership.Entry e : m.members()) {
      if (e.memberId().equals(state.memberId) || polledRecently(e.memberId())) {
        seen++;
      }
    }
    return seen >= Quorum.majority(m.members().size());
  }

  /** Whether this member sees {@code id} (itself always). */
  boolean visible(String id) {
    return id.equals(state.memberId) || recent(lastSeen.get(id)) || recent(lastPoll.get(id));
  }

  /** Read-only as this member last learnt it (itself: now). */
  boolean readOnly(String id) {
    if (id.equals(state.memberId)) {
      return !readWrite();
    }
    if (state.membership().isPrimary(id) && visible(id)) {
      return false;
    }
    PeerMessages.Status s = lastStatus.get(id);
    return s == null || s.readOnly() || !visible(id);
  }

  /** What {@code id} last said of itself, or null. */
  PeerMessages.Status lastStatus(String id) {
    return lastStatus.get(id);
  }

  private boolean recent(Long nanos) {
    return nanos != null && state.ticker.nanoTime() - nanos < liveNanos;
  }

  /** Asks every other member for its status (in the background; one call per member at a time). */
  void probe() {
    if (state.closed()) {
      return;
    }
    for (Membership.Entry e : state.membership().members()) {
      if (e.memberId().equals(state.memberId) || !probing.add(e.memberId())) {
        continue;
      }
      peers.execute(() -> probe(e));
    }
  }

  /**
   * Asks every other member for its status now, on this thread (each at most the timeout), even one
   * a background probe is asking already: the caller needs the answer, not the one in flight.
   */
  void probeNow() {
    for (Membership.Entry e : state.membership().members()) {
      if (!state.closed() && !e.memberId().equals(state.memberId)) {
        ask(e);
      }
    }
  }

  private void probe(Membership.Entry e) {
    try {
      ask(e);
    } finally {
      probing.remove(e.memberId());
    }
  }

  /** Asks {@code e} for its status and records the answer (or nothing, when it does not answer). */
  private void ask(Membership.Entry e) {
    try {
      PeerMessages.Status s = peers.status(e.cryptoAddress(), PROBE_TIMEOUT);
      lastSeen.put(e.memberId(), state.ticker.nanoTime());
      lastStatus.put(e.memberId(), s);
      if (s.epoch() > state.highestEpochSeen()) {
        // a newer epoch, from any member: a primary of an older one stops acknowledging at once
        state.sawEpoch(s.epoch());
        String primary = s.primary() ? s.memberId() : s.primaryId();
        if (primary != null && !primary.equals(state.memberId)) {
          state.primaryHint(primary);
        }
      }
    } catch (IOException | RuntimeException ex) {
      LOG.trace("{} did not answer: {}", e.name(), ex.getMessage());
    }
  }

  /** The primary did not answer: follow the visible member that says it is primary, if newer. */
  void discoverPrimary() {
    Membership m = state.membership();
    PeerMessages.Status best = null;
    for (PeerMessages.Status s : lastStatus.values()) {
      if (s.primary()
          && visible(s.memberId())
          && s.epoch() >= m.epoch()
          && (best == null || s.epoch() > best.epoch())) {
        best = s;
      }
    }
    if (best != null && !best.memberId().equals(m.primaryId())) {
      state.primaryHint(best.memberId());
    }
  }
}
