package dev.keyring.sim.cluster;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.store.ChangeSet;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.LogEntry;
import dev.keyring.store.LogPosition;
import dev.keyring.store.RowChange;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the pieces of one member's cluster service share: the store, the membership as this member
 * last learnt it, the highest epoch it has seen, the position of its log, and the log signal that
 * appends, applies and acknowledgements wake waiters with. The gate orders writes as the primary
 * (shared) against a change of primary (exclusive).
 */
final class ReplicaState {
  /** The longest a write waits for its acknowledgements, or for its entry to come back. */
  static final Duration REPLICATION_WAIT = Duration.ofSeconds(5);

  /** How often a waiter looks at the ticker again when nothing signals. */
  private static final long RECHECK_MILLIS = 50;

  private static final Logger LOG = LoggerFactory.getLogger(ReplicaState.class);

  /** The member's local (not replicated) record of the vote it promised: "epoch candidateId". */
  static final String PROMISE_KEY = "cluster.promise";

  final String memberId;
  final String name;
  final KeyringStore store;
  final Ticker ticker;
  final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

  private final AppliedEntryListener listener;
  private final Object logSignal = new Object();
  // the membership view is read from the store and set under this, so that two writes appended
  // side by side (the primary's own and a follower's) cannot leave the older membership in view
  private final Object membershipReload = new Object();

  private volatile Membership membership;
  private volatile boolean removed;
  private volatile long highestEpochSeen;
  private volatile long promisedEpoch;
  private volatile String promisedTo;
  private volatile String primaryHint;
  private volatile long lastSequence;
  private volatile boolean closed;
  // applying the primary's entries failed in the store (a full disk, on which reads may still
  // work and so make the store look healthy again); cleared by the next entries applied
  volatile boolean applyFailing;
  // this member held everything the primary had, at one of its answers since the service started
  private volatile boolean caughtUp;

  ReplicaState(
      String memberId,
      String name,
      KeyringStore store,
      Ticker ticker,
      AppliedEntryListener listener) {
    this.memberId = memberId;
    this.name = name;
    this.store = store;
    this.ticker = ticker;
    this.listener = listener;
    this.membership = load();
    this.highestEpochSeen = membership.epoch();
    this.lastSequence = store.position().sequence();
    store
        .hsmState(PROMISE_KEY)
        .map(b -> new String(b, StandardCharsets.UTF_8).split(" ", 2))
        .filter(f -> f.length == 2)
        .ifPresent(
            f -> {
              promisedEpoch = Long.parseLong(f[0]);
              promisedTo = f[1];
            });
  }

  Membership membership() {
    return membership;
  }

  boolean removed() {
    return removed;
  }

  void markRemoved() {
    removed = true;
  }

  boolean closed() {
    return closed;
  }

  long highestEpochSeen() {
    return highestEpochSeen;
  }

  /** The last sequence this member holds (appended as primary, or applied). */
  long lastSequence() {
    return lastSequence;
  }

  /**
   * The primary of the newest epoch this member knows, and not fenced by a vote it promised for a
   * newer one.
   */
  boolean isPrimary() {
    Membership m = membership;
    return !removed
        && m.isPrimary(memberId)
        && m.epoch() >= highestEpochSeen
        && m.epoch() >= promisedEpoch;
  }

  /** The highest epoch this member promised its vote for (0: none). */
  long promisedEpoch() {
    return promisedEpoch;
  }

  /**
   * Promises this member's vote in {@code epoch} to {@code candidateId}: from now on it never
   * acknowledges an entry of an older epoch. Kept in the store before the answer, so a restart does
   * not forget it. Given once per epoch, and only for an epoch newer than any it knows.
   *
   * @return null when given, else why not
   */
  synchronized String promise(long epoch, String candidateId) {
    if (epoch == promisedEpoch && candidateId.equals(promisedTo)) {
      return null; // the same request again
    }
    long known = Math.max(Math.max(membership.epoch(), highestEpochSeen), promisedEpoch);
    if (epoch <= known) {
      return "epoch "
          + epoch
          + " is not newer than epoch "
          + known
          + " that member "
          + name
          + " knows";
    }
    storePromise(epoch, candidateId);
    return null;
  }

  /** Takes back the vote promised to {@code candidateId} in {@code epoch}, if that is the one. */
  synchronized boolean release(long epoch, String candidateId) {
    if (epoch != promisedEpoch || !candidateId.equals(promisedTo) || membership.epoch() >= epoch) {
      return false;
    }
    storePromise(0, "");
    return true;
  }

  private void storePromise(long epoch, String candidateId) {
    byte[] raw = (epoch + " " + candidateId).getBytes(StandardCharsets.UTF_8);
    store.write(
        tx -> {
          tx.putHsmState(PROMISE_KEY, raw);
          return null;
        });
    promisedEpoch = epoch;
    promisedTo = candidateId;
    signal();
  }

  /** An epoch learnt from another member. */
  void sawEpoch(long epoch) {
    if (epoch > highestEpochSeen) {
      highestEpochSeen = epoch;
    }
  }

  /** A newer primary learnt from another member (null: the one the membership names). */
  void primaryHint(String id) {
    primaryHint = id;
  }

  /** The primary as this member knows it: a newer one learnt, or the one the membership names. */
  String primaryId() {
    String hint = primaryHint;
    return hint != null ? hint : membership.primaryId();
  }

  /** The crypto address of the member to follow. */
  String primaryAddress() {
    Membership m = membership;
    Optional<Membership.Entry> e = m.member(primaryId());
    if (e.isEmpty()) {
      e = m.member(m.primaryId());
    }
    return e.orElseThrow(this::readOnlyError).cryptoAddress();
  }

  // ------------------------------------------------------------------ the log

  /**
   * An entry this member appended as the primary. Entries are appended one at a time but told here
   * side by side: the views first, then the position, which never goes back.
   */
  void appended(LogEntry entry) {
    applied(entry.changes());
    signal(() -> lastSequence = Math.max(lastSequence, entry.position().sequence()));
  }

  /** An entry from the primary, now in the store. */
  void appliedFromPrimary(LogEntry entry) {
    applied(entry.changes()); // the views first: once the entry counts as held, it took effect
    synchronized (logSignal) {
      lastSequence = Math.max(lastSequence, entry.position().sequence());
      logSignal.notifyAll();
    }
  }

  /**
   * Whether this member caught up with the primary since its cluster service started: it held every
   * entry the primary had when one of the primary's answers was made (or installed its state). The
   * primary always has.
   */
  boolean caughtUp() {
    return caughtUp || isPrimary();
  }

  /** The primary's answer said it had entries through {@code primarySequence}. */
  void heardPrimaryAt(long primarySequence) {
    if (!caughtUp && lastSequence >= primarySequence) {
      caughtUp = true;
      LOG.info("{} caught up with the primary at sequence {}", name, lastSequence);
    }
  }

  /** The primary's state, now in the store in place of this member's. */
  void installed(LogPosition installedAt) {
    for (KeyringRecord k : store.keyrings()) {
      listener.keyringChanged(k.id());
    }
    listener.stateReplaced();
    synchronized (logSignal) {
      lastSequence = installedAt.sequence();
      logSignal.notifyAll();
    }
    caughtUp = true;
    Membership m = reloadMembership();
    if (m.member(memberId).isEmpty()) {
      removed = true;
    }
  }

  /** After an entry is in the store: the listener told, the membership reloaded. */
  private void applied(ChangeSet changes) {
    boolean members = false;
    for (RowChange c : changes.changes()) {
      if (c instanceof RowChange.ObjectRow o && o.before() != null) {
        listener.objectChanged(o.keyringId(), o.handle());
      } else if (c instanceof RowChange.KeyringRow k && k.after() == null) {
        listener.keyringChanged(k.id());
      } else if (c instanceof RowChange.ClusterValue v) {
        if (v.name().equals(Membership.KEY)) {
          members = true;
        } else {
          listener.clusterValueChanged(v.name());
        }
      }
    }
    if (members) {
      Membership m = reloadMembership();
      if (primaryHint != null && primaryHint.equals(m.primaryId())) {
        primaryHint = null;
      }
      if (m.member(memberId).isEmpty()) {
        removed = true;
        LOG.warn("member {} was removed from the cluster", name);
      }
    }
  }

  /**
   * Reads the membership from the store into view. Reads and sets are serialized: of two reloads
   * side by side, the one that read last sets last, so the view ends at the newest membership the
   * store holds (read, then set, by two threads unserialized, an older one could be set last).
   */
  private Membership reloadMembership() {
    synchronized (membershipReload) {
      Membership m = load();
      membership = m;
      sawEpoch(m.epoch());
      return m;
    }
  }

  /** Runs {@code update} under the log signal and wakes its waiters. */
  void signal(Runnable update) {
    synchronized (logSignal) {
      update.run();
      logSignal.notifyAll();
    }
  }

  void signal() {
    signal(() -> {});
  }

  /**
   * Waits on the log signal until {@code done} holds or the ticker says {@code max} passed.
   *
   * @return whether {@code done} holds
   */
  boolean awaitSignal(BooleanSupplier done, Duration max) throws InterruptedException {
    long deadline = ticker.nanoTime() + max.toNanos();
    synchronized (logSignal) {
      while (!done.getAsBoolean()) {
        long left = deadline - ticker.nanoTime();
        if (left <= 0) {
          return false;
        }
        logSignal.wait(Math.max(1, Math.min(RECHECK_MILLIS, TimeUnit.NANOSECONDS.toMillis(left))));
      }
      return true;
    }
  }

  /** {@link #awaitSignal} for at most {@link #REPLICATION_WAIT}; interrupted: a clear error. */
  boolean awaitLog(BooleanSupplier done) {
    try {
      return awaitSignal(done, REPLICATION_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "interrupted while replicating");
    }
  }

  /** Stops every wait. */
  void close() {
    closed = true;
    signal();
  }

  // ------------------------------------------------------------------ helpers

  Membership load() {
    return store
        .clusterValue(Membership.KEY)
        .map(Membership::decode)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_DEVICE_ERROR,
                    "this member's store holds no cluster membership"));
  }

  HsmException readOnlyError() {
    Membership m = membership;
    String primary = m.member(m.primaryId()).map(Membership.Entry::name).orElse(m.primaryId());
    return new HsmException(
        ResultCode.CKR_TOKEN_WRITE_PROTECTED,
        "member "
            + name
            + " is read-only: it cannot reach the primary member "
            + primary
            + "; reads and crypto continue, writes fail until it reaches the primary again (or"
            + " write through a read-write member)");
  }

  HsmException removedError() {
    return new HsmException(
        ResultCode.CKR_DEVICE_REMOVED,
        "member "
            + name
            + " was removed from its cluster: factory-reset its cluster service, then join again");
  }

  static Membership.Entry requireMember(Membership m, String idOrName) {
    return m.member(idOrName)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_ARGUMENTS_BAD, "the cluster has no member " + idOrName));
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
