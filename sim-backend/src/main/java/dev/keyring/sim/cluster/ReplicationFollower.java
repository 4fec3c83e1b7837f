package dev.keyring.sim.cluster;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.LogCodec;
import dev.keyring.store.LogEntry;
import dev.keyring.store.LogPosition;
import dev.keyring.store.Recorded;
import dev.keyring.store.ReplicationGapException;
import dev.keyring.store.SnapshotStream;
import dev.keyring.store.StoreTransaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member other than the primary: it long-polls the primary with its log position (at once its
 * heartbeat, its acknowledgement and its catch-up) and applies the entries it gets, in order. A
 * member whose log does not follow the primary's (after a promotion, or away past the log the
 * primary keeps) installs the primary's state. Its writes run speculatively and go to the primary
 * as row changes; a conflict with a concurrent write runs the write again once it caught up.
 */
final class ReplicationFollower {
  static final long POLL_WAIT_MS = 400;
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationFollower.class);

  private final ReplicaState state;
  private final PeerLiveness liveness;
  private final PeerTransport peers;
  private final Thread thread;
  private volatile long compacted;
  private volatile boolean caughtUp;

  /** What one attempt of a write through the primary gave: done (with its result), or again. */
  record Attempt<T>(boolean done, T result) {}

  ReplicationFollower(ReplicaState state, PeerLiveness liveness, PeerTransport peers) {
    this.state = state;
    this.liveness = liveness;
    this.peers = peers;
    this.compacted = state.store.logBase().sequence();
    this.thread = new Thread(this::followLoop, "keyring-cluster-follow");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /**
   * Stops following; the node's state is closed first, so the loop ends at its next turn. The
   * thread is not interrupted: an interrupt that lands while it applies an entry closes the store's
   * H2 file (its file channel is closed by the interrupt) and with it the member's store, until the
   * process restarts. It is waited for, as long as one poll may last, so that no entry is applied
   * after the node closed.
   */
  void stop() {
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      thread.join(POLL_WAIT_MS + 2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ following

  private void followLoop() {
    while (!state.closed()) {
      try {
        if (state.removed() || state.isPrimary()) {
          ReplicaState.pause(200);
          continue;
        }
        switch (pollOnce(POLL_WAIT_MS)) {
          case "ok":
          case "removed":
          case "resync":
            break;
          case "notPrimary":
          case "fenced":
            ReplicaState.pause(100);
            break;
          default:
            ReplicaState.pause(200);
        }
      } catch (ReplicationGapException e) {
        LOG.info(
            "{}: the log does not follow the primary's ({}); copying its state",
            state.name,
            e.getMessage());
        try {
          resync(state.primaryAddress());
        } catch (IOException | RuntimeException r) {
          LOG.warn("{}: copying the primary's state failed: {}", state.name, r.getMessage());
          ReplicaState.pause(500);
        }
      } catch (IOException e) {
        LOG.debug("{}: the primary did not answer: {}", state.name, e.getMessage());
        liveness.discoverPrimary();
        ReplicaState.pause(200);
      } catch (RuntimeException e) {
        if (state.closed()) {
          return;
        }
        LOG.warn("{}: following the primary failed: {}", state.name, e.toString());
        ReplicaState.pause(500);
      }
    }
  }

  /**
   * Polls the primary once, waiting up to {@code waitMillis} for new entries, and applies what it
   * answers.
   *
   * @return the primary's answer: {@code ok}, {@code notPrimary}, {@code removed} or {@code resync}
   * @throws ReplicationGapException when an entry does not follow this member's log
   */
  /**
   * Whether this member has held everything the primary had, as of one of its answers, since this
   * follower started: a member that starts its cluster service takes its authorization from the
   * primary once it has the primary's state.
   */
  boolean caughtUp() {
    return caughtUp;
  }

  String pollOnce(long waitMillis) throws IOException {
    String target = state.primaryAddress();
    LogPosition pos = state.store.position();
    PeerMessages.PollAnswer a =
        peers.poll(
            target,
            new PeerMessages.Poll(
                state.memberId, pos.epoch(), pos.sequence(), waitMillis, state.promisedEpoch()),
            Duration.ofMillis(waitMillis + 1_000));
    switch (a.status()) {
      case "ok":
        liveness.primaryAnswered();
        for (byte[] raw : a.entries()) {
          LogEntry e = LogCodec.decode(raw);
          apply(e);
          state.appliedFromPrimary(e);
        }
        state.heardPrimaryAt(a.primarySequence());
        compactBehind(a.compactedThrough());
        if (state.store.position().sequence() >= a.primarySequence()) {
          caughtUp = true;
        }
        break;
      case "notPrimary":
        if (a.primaryId() != null && !a.primaryId().equals(state.memberId)) {
          state.primaryHint(a.primaryId());
        }
        state.sawEpoch(a.epoch());
        break;
      case "removed":
        if (!state.removed()) {
          LOG.warn(
              "member {} is no longer a member of the cluster: factory-reset its cluster"
                  + " service before it joins again",
              state.name);
        }
        state.markRemoved();
        break;
      case "resync":
        resync(target);
        break;
      case "fenced":
        // this member voted for a newer primary: look for it, and take nothing from this one
        liveness.discoverPrimary();
        break;
      default:
        break;
    }
    return a.status();
  }

  /**
   * Drops from this member's log what the primary dropped: what every live member holds, and while
   * a member is away, all but the newest entries the primary keeps for it. Should this member
   * become primary, members a little behind still catch up from its log.
   */
  private void compactBehind(long primaryCompacted) {
    long through = Math.min(primaryCompacted, state.lastSequence());
    if (through > compacted) {
      state.store.compactLogThrough(through);
      compacted = through;
    }
  }

  /**
   * Applies one of the primary's entries; a store failure (CKR_DEVICE_ERROR: a full disk, on which
   * reads may still work) makes this member read-only until an entry applies again.
   */
  private void apply(LogEntry e) {
    try {
      state.store.applyEntry(e);
    } catch (ReplicationGapException gap) {
      throw gap;
    } catch (HsmException x) {
      if (x.code() == ResultCode.CKR_DEVICE_ERROR) {
        state.applyFailing = true;
      }
      throw x;
    }
    state.applyFailing = false;
  }

  private void resync(String target) throws IOException {
    SnapshotStream.Installed s = installSnapshot(peers, target, state.store);
    state.applyFailing = false;
    state.installed(s.position());
    LOG.info("{}: installed the primary's state, streamed: {}", state.name, s);
  }

  /**
   * Streams the state of the member at {@code target} into {@code store}, in one transaction: a
   * stream cut off leaves the store as it was (the caller tries again later).
   */
  static SnapshotStream.Installed installSnapshot(
      PeerTransport peers, String target, KeyringStore store) throws IOException {
    return peers.snapshot(
        target,
        Duration.ofMinutes(2),
        in -> {
          try {
            return store.installSnapshot(in, SnapshotStream.DEFAULT_CHUNK);
          } catch (UncheckedIOException e) {
            throw e.getCause();
          }
        });
  }

  // ------------------------------------------------------------------ writes

  /**
   * One attempt of a write through the primary: run speculatively here, sent to the primary as row
   * changes, done once this member holds the primary's entry. {@code attempt} counts the attempts
   * of this write from 1; the primary gives a write that keeps conflicting its turn ({@link
   * WriteTurn}).
   */
  <T> Attempt<T> forward(Function<StoreTransaction, T> work, int attempt) {
    Recorded<T> r = state.store.speculate(work);
    if (r.changes().isEmpty()) {
      return new Attempt<>(true, r.result());
    }
    PeerMessages.SubmitAnswer a;
    try {
      a =
          peers.submit(
              state.primaryAddress(),
              new PeerMessages.Submit(
                  state.memberId,
                  LogCodec.encode(new LogEntry(LogPosition.ZERO, r.changes())),
                  attempt),
              ReplicaState.REPLICATION_WAIT.plusSeconds(5));
    } catch (IOException e) {
      // sent, and no answer: the primary may have taken it, so this is no refusal
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "member "
              + state.name
              + " lost the primary while writing ("
              + e.getMessage()
              + "); the write may or may not have been made: check, then try again");
    }
    switch (a.status()) {
      case "ok":
        awaitLocal(a.sequence(), true);
        return new Attempt<>(true, r.result());
      case "conflict":
        awaitLocal(a.sequence(), false);
        return new Attempt<>(false, null);
      case "notPrimary":
        ReplicaState.pause(100);
        return new Attempt<>(false, null);
      default:
        throw new HsmException(ResultCode.valueOf(a.code()), a.message());
    }
  }

  /**
   * Waits until this member applied {@code sequence}: the entry of a write made through the primary
   * ({@code made}), or of the write it conflicted with.
   */
  private void awaitLocal(long sequence, boolean made) {
    if (!state.awaitLog(() -> state.lastSequence() >= sequence)) {
      throw new EntryNotReceived(
          "member "
              + state.name
              + " did not receive entry "
              + sequence
              + " from the primary in time; "
              + (made
                  ? "the write was made on the cluster"
                  : "the write met a concurrent change and was not made: try again"),
          made);
    }
  }

  /**
   * A write forwarded to the primary was answered, and this member did not receive the entry in
   * time: the primary made the write ({@link #made()}), or refused it for a concurrent change.
   */
  static final class EntryNotReceived extends HsmException {
    private static final long serialVersionUID = 1L;
    private final boolean made;

    EntryNotReceived(String message, boolean made) {
      super(ResultCode.CKR_DEVICE_ERROR, message);
      this.made = made;
    }

    /** Whether the primary made the write. */
    boolean made() {
      return made;
    }
  }
}
