package dev.keyring.sim.cluster;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's fairness for writes that followers forward. Every creation of an object changes its
 * keyring's row (the next handle), so creations in one keyring conflict with each other (as do any
 * two writes to one row), and a follower's write is checked against rows it read a replication
 * round trip earlier: while the primary's own callers write steadily to the same keyring, a
 * forwarded write can lose every race.
 *
 * <p>Once a member's write has conflicted {@value #AFTER_CONFLICTS} times in a row, the primary
 * gives that member the turn: every other write (made on the primary or forwarded by another
 * member; membership changes excepted) waits until the member's next submission has been decided,
 * at most {@link #LONGEST}. One member holds the turn at a time; the others keep trying and get it
 * later.
 */
final class WriteTurn {
  /** Conflicts in a row of one forwarded write after which its member gets the turn. */
  static final int AFTER_CONFLICTS = 2;

  /** How long the other writes wait at most for the member holding the turn. */
  static final Duration LONGEST = Duration.ofMillis(250);

  private static final Logger LOG = LoggerFactory.getLogger(WriteTurn.class);

  private final ReplicaState state;
  // guarded by this; holder is read without the lock on the fast path of every write
  private volatile String holder;
  private long until;

  WriteTurn(ReplicaState state) {
    this.state = state;
  }

  /**
   * The submission of member {@code memberId}, its {@code attempt}-th for one write, conflicted:
   * from {@value #AFTER_CONFLICTS} on, the member gets the turn, unless another member holds it.
   */
  void conflicted(String memberId, int attempt) {
    if (attempt < AFTER_CONFLICTS) {
      release(memberId);
      return;
    }
    synchronized (this) {
      if (holder == null || holder.equals(memberId) || expired()) {
        holder = memberId;
        until = state.ticker.nanoTime() + LONGEST.toNanos();
        LOG.debug("member {} has the write turn after {} conflicts in a row", memberId, attempt);
      }
    }
  }

  /**
   * A submission of {@code memberId} was decided (not a conflict): its turn, if it had one, ends.
   */
  void release(String memberId) {
    boolean released = false;
    synchronized (this) {
      if (memberId.equals(holder)) {
        holder = null;
        released = true;
      }
    }
    if (released) {
      state.signal();
    }
  }

  /**
   * Waits while another member holds the turn, at most {@link #LONGEST}.
   *
   * @param memberId the member whose submission this is; null for a write made on the primary
   */
  void await(String memberId) {
    if (holder == null) {
      return;
    }
    try {
      state.awaitSignal(() -> !heldAgainst(memberId), LONGEST);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "interrupted while waiting for another member's write");
    }
  }

  /** Whether a member other than {@code memberId} holds the turn. */
  synchronized boolean heldAgainst(String memberId) {
    return holder != null && !holder.equals(memberId) && !expired();
  }

  private boolean expired() {
    return state.ticker.nanoTime() - until >= 0;
  }
}
