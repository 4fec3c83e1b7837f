package dev.keyring.sim.cluster;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.LogPosition;
import dev.keyring.store.Recorded;
import dev.keyring.store.ReplicatedWriter;
import dev.keyring.store.StoreTransaction;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster service of one member: single-leader replication of keyrings, objects and the
 * membership, heartbeats, read-only mode, promotion. A façade over its pieces:
 *
 * <ul>
 *   <li>{@link ReplicationLeader}, on the primary: a write runs in one transaction that also
 *       appends the log entry (epoch, sequence); the caller gets its answer once every live member
 *       acknowledged the entry.
 *   <li>{@link ReplicationFollower}, on any other member: it long-polls the primary (heartbeat,
 *       acknowledgement and catch-up at once) and sends its writes there. A member that has not
 *       heard from the primary within {@link #LIVE} is read-only: writes through it fail with
 *       CKR_TOKEN_WRITE_PROTECTED, reads and crypto continue.
 *   <li>{@link PeerLiveness}: every member asks every other for its status twice a second; what it
 *       sees is what {@code visibleToServicingNode} reports, and how a member finds a new primary.
 *   <li>{@link MembershipChanges}: groups, promotion, deleting an unrecoverable member, leaving.
 * </ul>
 *
 * Other members are reached through a {@link PeerTransport}; what is cached of changed state is
 * dropped by an {@link AppliedEntryListener}; time is read from the settings' ticker.
 */
public final class ClusterNode implements ReplicatedWriter, AutoCloseable {
  /** How long a heartbeat counts. */
  public static final Duration LIVE = Duration.ofMillis(1_500);

  private static final int MAX_WRITE_ATTEMPTS = 20;
  private static final long PROBE_INTERVAL_MS = 500;
  static final long ADDRESS_CHECK_MS = 250;
  private final java.util.concurrent.atomic.AtomicBoolean addressesWarned =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final ScheduledExecutorService addressCheck =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "keyring-cluster-addresses");
            t.setDaemon(true);
            return t;
          });
  private static final long COMPACT_INTERVAL_MS = 2_000;
  private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

  private final NodeSettings settings;
  private final ReplicaState state;
  private final PeerTransport peers;
  private final PeerLiveness liveness;
  private final ReplicationLeader leader;
  private final ReplicationFollower follower;
  private final MembershipChanges changes;
  private final ScheduledExecutorService scheduler;
  // the entry the calling thread last wrote as the primary, for the answer that reports it
  private final ThreadLocal<LogPosition> writtenHere = new ThreadLocal<>();
  private volatile MemberAuthorization authorization = MemberAuthorization.of(() -> true);
  // the log position the last status read from the store: what it says while the store cannot
  private volatile LogPosition lastStatusPosition;

  private ClusterNode(
      KeyringStore store,
      NodeSettings settings,
      PeerTransport peers,
      AppliedEntryListener listener) {
    this.settings = settings;
    this.peers = peers;
    this.state =
        new ReplicaState(settings.memberId(), settings.name(), store, settings.ticker(), listener);
    this.liveness = new PeerLiveness(state, peers);
    this.leader = new ReplicationLeader(state, liveness, settings.majorityGrace());
    this.follower = new ReplicationFollower(state, liveness, peers);
    this.changes = new MembershipChanges(state, this, liveness, leader, peers);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keyring-cluster-probe");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The cluster service of a member of the cluster in {@code store}, not started yet (see {@link
   * #start()}). A cluster without a membership yet (just created) gets one with this member as its
   * primary. The node owns {@code peers} and closes it.
   */
  public static ClusterNode open(
      KeyringStore store,
      NodeSettings settings,
      PeerTransport peers,
      AppliedEntryListener listener) {
    if (store.clusterValue(Membership.KEY).isEmpty()) {
      Membership first =
          new Membership(
              1,
              Math.max(1, store.position().epoch()),
              settings.memberId(),
              List.of(settings.entry()),
              null);
      store.writeAsPrimary(
          first.epoch(),
          tx -> {
            tx.putClusterValue(Membership.KEY, first.encode());
            return null;
          });
    }
    return new ClusterNode(store, settings, peers, listener);
  }

  /**
   * Starts following the primary and probing the other members; a member whose addresses changed
   * (restarted on other ports, or a joiner reporting its channel port) updates its entry, trying
   * again every {@value #ADDRESS_CHECK_MS} ms until the membership holds them (a joiner's entry
   * appears, and a write through the primary succeeds, only some time after its service started).
   */
  public void start() {
    // on a thread of its own: a write forwarded to the primary must never delay liveness probes
    addressCheck.scheduleWithFixedDelay(
        this::refreshOwnEntry, 0, ADDRESS_CHECK_MS, TimeUnit.MILLISECONDS);
    follower.start();
    scheduler.scheduleWithFixedDelay(liveness::probe, 0, PROBE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(
        this::takeLostAuthorization, PROBE_INTERVAL_MS, PROBE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(
        this::compactLog, COMPACT_INTERVAL_MS, COMPACT_INTERVAL_MS, TimeUnit.MILLISECONDS);
    Membership m = state.membership();
    LOG.info(
        "cluster service of {} started: {} member(s), primary {}, epoch {}, position {}",
        state.name,
        m.members().size(),
        m.primaryId(),
        m.epoch(),
        state.store.position());
  }

  private void refreshOwnEntry() {
    Optional<Membership.Entry> me = state.membership().member(state.memberId);
    if (me.isEmpty()
        || (me.get().cryptoAddress().equals(settings.cryptoAddress())
            && me.get().adminAddress().equals(settings.adminAddress())
            && me.get().channelPort() == settings.channelPort())) {
      return;
    }
    try {
      changes.refreshOwnAddresses(
          settings.cryptoAddress(), settings.adminAddress(), settings.channelPort());
    } catch (RuntimeException e) {
      if (!addressesWarned.getAndSet(true)) {
        LOG.warn("could not update this member's addresses (trying again): {}", e.getMessage());
      }
    }
  }

  // ------------------------------------------------------------------ state

  public String memberId() {
    return state.memberId;
  }

  public String name() {
    return state.name;
  }

  public Membership membership() {
    return state.membership();
  }

  public boolean removed() {
    return state.removed();
  }

  public boolean isPrimary() {
    return state.isPrimary();
  }

  /**
   * Whether this member caught up with the primary since its cluster service started (the primary
   * always has): until then it may lack changes made while it was away, revocations of client
   * certificates among them, so it serves no client.
   */
  public boolean caughtUp() {
    return state.caughtUp();
  }

  /** Read-write: the primary, or a member that heard from the primary within {@link #LIVE}. */
  public boolean readWrite() {
    return liveness.readWrite();
  }

  /** Whether this member sees {@code id} (itself always). */
  public boolean visible(String id) {
    return liveness.visible(id);
  }

  /** Read-only as this member last learnt it (itself: now). */
  public boolean readOnly(String id) {
    return liveness.readOnly(id);
  }

  public boolean restartService(String id) {
    if (id.equals(state.memberId)) {
      return settings.restartRequired().getAsBoolean();
    }
    PeerMessages.Status s = liveness.lastStatus(id);
    return s != null && s.restartService();
  }

  public String version(String id) {
    if (id.equals(state.memberId)) {
      return settings.version();
    }
    PeerMessages.Status s = liveness.lastStatus(id);
    return s == null ? "unknown" : s.version();
  }

  public LogPosition position() {
    return state.store.position();
  }

  /**
   * Waits until this member holds the log up to {@code sequence}, for at most {@code max} (as the
   * ticker measures it), woken by the log signal as entries are applied; {@link Duration#ZERO} only
   * looks. An interrupt ends the wait (the interrupt stays set).
   *
   * @return whether this member holds {@code sequence}
   */
  public boolean awaitPosition(long sequence, Duration max) {
    if (state.lastSequence() >= sequence) {
      return true; // the common case, without the log signal's lock
    }
    try {
      return state.awaitSignal(() -> state.lastSequence() >= sequence, max);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * The position the answer to a request served on this thread reports, at or past what it wrote:
   * the entry of the thread's last write as the primary (entries appended after it by other writes
   * may not be acknowledged yet, so they are not promised), else this member's position (a member
   * other than the primary holds only entries the primary sent it). Forgets the write.
   */
  public LogPosition answerPosition() {
    LogPosition wrote = writtenHere.get();
    writtenHere.remove();
    return wrote != null ? wrote : position();
  }

  /** Forgets what the calling thread wrote: a new request starts on it. */
  public void forgetWrites() {
    writtenHere.remove();
  }

  /**
   * On the primary: for each other member (by name), how many log entries it has not acknowledged
   * yet, or -1 when it acknowledged none since this member became primary. Empty elsewhere.
   */
  public java.util.Map<String, Long> replicationLag() {
    java.util.Map<String, Long> lag = new java.util.TreeMap<>();
    if (!isPrimary()) {
      return lag;
    }
    long last = position().sequence();
    for (Membership.Entry m : state.membership().members()) {
      if (!m.memberId().equals(state.memberId)) {
        long acked = leader.acknowledged(m.memberId());
        lag.put(m.name(), acked < 0 ? -1 : Math.max(0, last - acked));
      }
    }
    return lag;
  }

  /**
   * This member's status, as other members ask for it. While its store cannot be read (a full
   * disk), it still answers, read-only, with the position it last read: a failed answer would leave
   * the others with what it last said, read-write, and the cluster view would send it writes.
   */
  public PeerMessages.Status status() {
    LogPosition p;
    try {
      p = state.store.position();
      lastStatusPosition = p;
    } catch (HsmException e) {
      p = lastStatusPosition;
      if (p == null || state.store.healthy()) {
        throw e;
      }
    }
    return new PeerMessages.Status(
        state.memberId,
        state.name,
        state.primaryId(),
        state.membership().epoch(),
        p.sequence(),
        p.epoch(),
        isPrimary(),
        !readWrite(),
        removed(),
        settings.restartRequired().getAsBoolean(),
        settings.version(),
        state.promisedEpoch(),
        authorized(state.memberId));
  }

  /**
   * Where this member's own authorization comes from (its cluster service's record of the {@code
   * authorize} action); authorized until set.
   */
  public void authorization(java.util.function.BooleanSupplier memberAuthorized) {
    authorization(MemberAuthorization.of(memberAuthorized));
  }

  /** Where this member's own authorization comes from, and whether it was lost in a crash. */
  public void authorization(MemberAuthorization authorization) {
    this.authorization = authorization;
  }

  /**
   * Whether a member is authorized. This member: its record says so and, unless it is the primary,
   * it has caught up with the primary since its cluster service started (it takes its authorization
   * from the primary, as the administration guide says of rejoining members); a member that lost
   * its authorization in a crash takes it from another member it sees authorized (see {@link
   * #takeAuthorization}). Another member: what it last said of itself, while this member sees it.
   */
  public boolean authorized(String id) {
    if (id.equals(state.memberId)) {
      MemberAuthorization a = authorization;
      if (!a.granted() && !(a.lost() && takeAuthorization(false))) {
        return false;
      }
      return isPrimary() || follower.caughtUp();
    }
    PeerMessages.Status s = liveness.lastStatus(id);
    return s != null && s.authorized() && visible(id);
  }

  /**
   * A member that lost its authorization in a crash takes it from another member that is active
   * (seen now) and authorized; with no such member it stays unauthorized until the operator
   * authorizes it. (Unless it is the primary, it is reported authorized only once it also holds the
   * primary's state, as any member whose service starts.) {@code askNow}: ask the other members for
   * their status first (each at most the probe timeout), rather than use what they last said.
   *
   * @return whether this member is authorized by its record now
   */
  public boolean takeAuthorization(boolean askNow) {
    MemberAuthorization a = authorization;
    if (a.granted()) {
      return true;
    }
    if (!a.lost() || state.closed()) {
      return false;
    }
    if (askNow) {
      liveness.probeNow();
    }
    for (Membership.Entry e : state.membership().members()) {
      String id = e.memberId();
      PeerMessages.Status s = liveness.lastStatus(id);
      if (!id.equals(state.memberId) && s != null && s.authorized() && visible(id)) {
        a.takeFrom(e.name());
        LOG.info(
            "{} took its authorization from {}, an active authorized member", state.name, e.name());
        return a.granted();
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ writes

  @Override
  public <T> T write(Function<StoreTransaction, T> work) {
    return write(work, false);
  }

  /**
   * A write; a change of the membership is not refused up front by a primary that sees no majority
   * (deleting the lost member is what gives it one again).
   */
  <T> T write(Function<StoreTransaction, T> work, boolean membershipChange) {
    for (int attempt = 1; ; attempt++) {
      if (state.removed()) {
        throw state.removedError();
      }
      // acknowledged by a majority, or throws
      Recorded<T> done = leader.writeIfPrimary(work, membershipChange);
      if (done != null) {
        if (done.entry() != null) {
          writtenHere.set(done.entry().position());
        }
        return done.result();
      }
      if (!readWrite()) {
        throw state.readOnlyError();
      }
      ReplicationFollower.Attempt<T> a = follower.forward(work, attempt);
      if (a.done()) {
        return a.result();
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "the write met concurrent changes "
                + attempt
                + " times in a row; nothing was changed: try again");
      }
    }
  }

  /**
   * One write of a restore, on the primary: logged like any write, but neither refused for want of
   * a majority nor waiting for acknowledgements, since a restore runs while the other members'
   * cluster services are stopped; they receive it when they start. Refused on any other member.
   */
  public <T> T writeForRestore(Function<StoreTransaction, T> work) {
    if (state.removed()) {
      throw state.removedError();
    }
    Recorded<T> done = leader.writeUnacknowledged(work);
    if (done.entry() != null) {
      writtenHere.set(done.entry().position());
    }
    return done.result();
  }

  // ------------------------------------------------------------------ calls from other members

  /** The primary's side of a follower's write. */
  public PeerMessages.SubmitAnswer submit(PeerMessages.Submit s, String fingerprint) {
    return leader.submit(s, fingerprint);
  }

  /** The primary's side of a follower's poll. */
  public PeerMessages.PollAnswer poll(PeerMessages.Poll p, String fingerprint) {
    return leader.poll(p, fingerprint);
  }

  /** Refuses (CKR_FUNCTION_REJECTED) a caller that may not copy this member's state. */
  public void checkSnapshotCaller(String fingerprint) {
    leader.checkSnapshotCaller(fingerprint);
  }

  /**
   * Streams this member's state to {@code out}, for a member of the cluster ({@link
   * dev.keyring.store.SnapshotStream}).
   */
  public void writeSnapshot(String fingerprint, OutputStream out) {
    leader.writeSnapshot(fingerprint, out);
  }

  /** A vote asked for by a member that deletes an unrecoverable primary. */
  public PeerMessages.FenceAnswer fence(PeerMessages.Fence f) {
    return changes.vote(f);
  }

  /** A vote taken back: the election that asked for it failed. */
  public PeerMessages.Done release(PeerMessages.Release r) {
    return changes.released(r);
  }

  /** On the primary: waits until the target holds every entry, then makes it primary. */
  public PeerMessages.Done handover(String targetId) {
    return changes.handover(targetId);
  }

  /** Becomes the primary in {@code epoch} (asked by the old primary or by a deleting member). */
  public PeerMessages.Done becomePrimary(PeerMessages.Promote p) {
    return changes.becomePrimary(p);
  }

  /**
   * Copies the cluster's state from the member at {@code primaryAddress} into a joining member's
   * store (before its cluster service starts).
   *
   * @return how many keyrings it holds afterwards
   */
  public static int copyState(KeyringStore store, PeerTransport peers, String primaryAddress) {
    try {
      return ReplicationFollower.installSnapshot(peers, primaryAddress, store).keyrings();
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "copying the cluster's state from " + primaryAddress + " failed: " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ membership changes

  /** A replicated change of the membership (through the primary). */
  public Membership changeMembership(Function<Membership, Membership> change) {
    return changes.change(change);
  }

  /** Moves a member to an affinity group (created when new; at most 64). */
  public Membership moveToGroup(String member, String group) {
    return changes.moveToGroup(member, group);
  }

  /** Makes {@code member} the primary (it must be read-write); asked of any active member. */
  public void promote(String member) {
    changes.promote(member);
  }

  /**
   * Deletes a member that this member cannot see (unrecoverable). Deleting the primary promotes the
   * visible member that holds the most of the log.
   */
  public void deleteUnrecoverable(String member) {
    changes.deleteUnrecoverable(member);
  }

  /** Removes this member from the cluster (every other member must be visible). */
  public void leave() {
    changes.leave();
  }

  /** On the primary: compacts the log through what every live member holds. */
  int compactLog() {
    try {
      return leader.compact();
    } catch (RuntimeException e) {
      LOG.warn("{}: compacting the log failed: {}", state.name, e.getMessage());
      return 0;
    }
  }

  private void takeLostAuthorization() {
    try {
      takeAuthorization(false);
    } catch (RuntimeException e) {
      LOG.warn(
          "{}: taking the authorization of another member failed: {}", state.name, e.getMessage());
    }
  }

  // ------------------------------------------------------------------ steps, for tests

  /** Polls the primary once (see {@link ReplicationFollower#pollOnce}). */
  String pollPrimary(long waitMillis) throws IOException {
    return follower.pollOnce(waitMillis);
  }

  /** Asks every other member for its status once. */
  void probePeers() {
    liveness.probe();
  }

  @Override
  public void close() {
    state.close();
    addressCheck.shutdown();
    scheduler.shutdown();
    follower.stop();
    stopQuietly(addressCheck);
    stopQuietly(scheduler);
    peers.close();
  }

  /**
   * Waits a little for a running task to end before interrupting it: an interrupt that lands while
   * a task writes to the store (compaction, the member's own entry) closes the store's H2 file, and
   * with it the member's store until it is opened again.
   */
  private static void stopQuietly(ScheduledExecutorService executor) {
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
