package dev.keyring.sim.cluster;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.store.ChangeSet;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.LogCodec;
import dev.keyring.store.LogEntry;
import dev.keyring.store.LogPosition;
import dev.keyring.store.Recorded;
import dev.keyring.store.ReplicatedWriter;
import dev.keyring.store.ReplicationConflictException;
import dev.keyring.store.ReplicationGapException;
import dev.keyring.store.RowChange;
import dev.keyring.store.Snapshot;
import dev.keyring.store.StoreTransaction;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster service of one member: single-leader replication of keyrings, objects and the
 * membership, heartbeats, read-only mode, promotion.
 *
 * <ul>
 *   <li><b>Writes.</b> On the primary a write runs in one transaction that also appends the log
 *       entry (epoch, sequence); the caller gets its answer once every live member acknowledged the
 *       entry. On another member the write runs speculatively (rolled back), its row changes go to
 *       the primary, which checks their before-images, applies and logs them; a conflict with a
 *       concurrent write runs the write again once this member caught up. A member that has not
 *       heard from the primary within {@link #LIVE} is read-only: writes through it fail with
 *       CKR_TOKEN_WRITE_PROTECTED, reads and crypto continue.
 *   <li><b>Replication.</b> Followers long-poll the primary with their log position; the poll is at
 *       once the heartbeat, the acknowledgement and the catch-up. A follower whose log does not
 *       follow the primary's (after a promotion, or when it was away past the log the primary
 *       keeps) installs a snapshot.
 *   <li><b>Visibility.</b> Every member asks every other for its status twice a second; what it
 *       sees is what {@code visibleToServicingNode} reports, and how a member finds a new primary.
 * </ul>
 */
public final class ClusterNode implements ReplicatedWriter, AutoCloseable {
  /** How long a heartbeat counts. */
  public static final Duration LIVE = Duration.ofMillis(1_500);

  private static final long POLL_WAIT_MS = 400;
  private static final int MAX_ENTRIES_PER_POLL = 256;
  private static final int MAX_WRITE_ATTEMPTS = 20;
  private static final Duration REPLICATION_WAIT = Duration.ofSeconds(5);
  private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

  private final Appliance appliance;
  private final KeyringStore store;
  private final String memberId;
  private final String name;
  private final PeerClient peers;
  private final BooleanSupplier restartRequired;
  private final String version;

  private volatile Membership membership;
  private volatile boolean removed;
  private volatile long highestEpochSeen;
  private volatile String primaryHint;
  private volatile long lastPrimaryContact = Long.MIN_VALUE / 2;
  private volatile long lastSequence;

  // on the primary: each follower's last poll and acknowledged sequence
  private final Map<String, Long> lastPoll = new ConcurrentHashMap<>();
  private final Map<String, Long> acked = new ConcurrentHashMap<>();
  // from the status prober: when each other member last answered, and what it said
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
  private final Map<String, PeerMessages.Status> lastStatus = new ConcurrentHashMap<>();
  private final Set<String> probing = ConcurrentHashMap.newKeySet();

  private final Object logSignal = new Object();
  private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
  private final ScheduledExecutorService scheduler;
  private final Thread follower;
  private volatile boolean closed;

  private ClusterNode(
      Appliance appliance,
      String memberId,
      String name,
      SSLContext peerTls,
      Map<String, String> routes,
      BooleanSupplier restartRequired,
      String version) {
    this.appliance = appliance;
    this.store = appliance.store();
    this.memberId = memberId;
    this.name = name;
    this.peers = new PeerClient(peerTls, routes);
    this.restartRequired = restartRequired;
    this.version = version;
    this.membership = load();
    this.highestEpochSeen = membership.epoch();
    this.lastSequence = store.position().sequence();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keyring-cluster-probe");
              t.setDaemon(true);
              return t;
            });
    this.follower = new Thread(this::followLoop, "keyring-cluster-follow");
    this.follower.setDaemon(true);
  }

  /**
   * Starts the cluster service of a member of the appliance's cluster. A cluster without a
   * membership yet (just created) gets one with this member as its primary.
   */
  public static ClusterNode start(
      Appliance appliance,
      String memberId,
      String name,
      String cryptoAddress,
      String adminAddress,
      SSLContext peerTls,
      Map<String, String> routes,
      BooleanSupplier restartRequired,
      String version) {
    KeyringStore store = appliance.store();
    if (store.clusterValue(Membership.KEY).isEmpty()) {
      String fp = appliance.pki().memberCertificateFingerprint(name);
      Membership first =
          new Membership(
              1,
              Math.max(1, store.position().epoch()),
              memberId,
              List.of(
                  new Membership.Entry(
                      memberId, name, cryptoAddress, adminAddress, Membership.DEFAULT_GROUP, fp)),
              null);
      store.writeAsPrimary(
          first.epoch(),
          tx -> {
            tx.putClusterValue(Membership.KEY, first.encode());
            return null;
          });
    }
    ClusterNode node =
        new ClusterNode(appliance, memberId, name, peerTls, routes, restartRequired, version);
    node.refreshOwnAddresses(cryptoAddress, adminAddress);
    appliance.replicateThrough(node);
    node.follower.start();
    node.scheduler.scheduleWithFixedDelay(node::probe, 0, 500, TimeUnit.MILLISECONDS);
    LOG.info(
        "cluster service of {} started: {} member(s), primary {}, epoch {}, position {}",
        name,
        node.membership.members().size(),
        node.membership.primaryId(),
        node.membership.epoch(),
        store.position());
    return node;
  }

  /** A member whose addresses changed (restarted on other ports) updates its entry. */
  private void refreshOwnAddresses(String cryptoAddress, String adminAddress) {
    Optional<Membership.Entry> me = membership.member(memberId);
    if (me.isEmpty()
        || (me.get().cryptoAddress().equals(cryptoAddress)
            && me.get().adminAddress().equals(adminAddress))) {
      return;
    }
    scheduler.execute(
        () -> {
          try {
            changeMembership(
                m ->
                    m.next(
                        list -> {
                          list.replaceAll(
                              e ->
                                  e.memberId().equals(memberId)
                                      ? new Membership.Entry(
                                          e.memberId(),
                                          e.name(),
                                          cryptoAddress,
                                          adminAddress,
                                          e.group(),
                                          e.certFingerprint())
                                      : e);
                          return list;
                        }));
          } catch (RuntimeException e) {
            LOG.warn("could not update this member's addresses: {}", e.getMessage());
          }
        });
  }

  // ------------------------------------------------------------------ state

  public String memberId() {
    return memberId;
  }

  public String name() {
    return name;
  }

  public Membership membership() {
    return membership;
  }

  public boolean removed() {
    return removed;
  }

  public boolean isPrimary() {
    Membership m = membership;
    return !removed && m.isPrimary(memberId) && m.epoch() >= highestEpochSeen;
  }

  /** Read-write: the primary, or a member that heard from the primary within {@link #LIVE}. */
  public boolean readWrite() {
    return isPrimary() || (!removed && System.nanoTime() - lastPrimaryContact < LIVE.toNanos());
  }

  /** Whether this member sees {@code id} (itself always). */
  public boolean visible(String id) {
    if (id.equals(memberId)) {
      return true;
    }
    Long seen = lastSeen.get(id);
    Long polled = lastPoll.get(id);
    long now = System.nanoTime();
    return (seen != null && now - seen < LIVE.toNanos())
        || (polled != null && now - polled < LIVE.toNanos());
  }

  /** Read-only as this member last learnt it (itself: now). */
  public boolean readOnly(String id) {
    if (id.equals(memberId)) {
      return !readWrite();
    }
    if (membership.isPrimary(id) && visible(id)) {
      return false;
    }
    PeerMessages.Status s = lastStatus.get(id);
    return s == null || s.readOnly() || !visible(id);
  }

  public boolean restartService(String id) {
    if (id.equals(memberId)) {
      return restartRequired.getAsBoolean();
    }
    PeerMessages.Status s = lastStatus.get(id);
    return s != null && s.restartService();
  }

  public String version(String id) {
    if (id.equals(memberId)) {
      return version;
    }
    PeerMessages.Status s = lastStatus.get(id);
    return s == null ? "unknown" : s.version();
  }

  public LogPosition position() {
    return store.position();
  }

  /** This member's status, as other members ask for it. */
  public PeerMessages.Status status() {
    LogPosition p = store.position();
    Membership m = membership;
    return new PeerMessages.Status(
        memberId,
        name,
        primaryHint != null ? primaryHint : m.primaryId(),
        m.epoch(),
        p.sequence(),
        p.epoch(),
        isPrimary(),
        !readWrite(),
        removed,
        restartRequired.getAsBoolean(),
        version);
  }

  // ------------------------------------------------------------------ writes

  @Override
  public <T> T write(Function<StoreTransaction, T> work) {
    for (int attempt = 1; ; attempt++) {
      if (removed) {
        throw removedError();
      }
      gate.readLock().lock();
      Recorded<T> done = null;
      try {
        if (isPrimary()) {
          done = store.writeAsPrimary(membership.epoch(), work);
          if (done.entry() != null) {
            appended(done.entry());
          }
        }
      } finally {
        gate.readLock().unlock();
      }
      if (done != null) {
        if (done.entry() != null) {
          awaitReplicated(done.entry().position().sequence());
        }
        return done.result();
      }
      if (!readWrite()) {
        throw readOnlyError();
      }
      Recorded<T> r = store.speculate(work);
      if (r.changes().isEmpty()) {
        return r.result();
      }
      PeerMessages.SubmitAnswer a;
      try {
        a =
            peers.post(
                primaryAddress(),
                "/v1/peer/submit",
                new PeerMessages.Submit(
                    memberId, LogCodec.encode(new LogEntry(LogPosition.ZERO, r.changes()))),
                PeerMessages.SubmitAnswer.class,
                REPLICATION_WAIT.plusSeconds(5));
      } catch (IOException e) {
        throw new HsmException(
            ResultCode.CKR_TOKEN_WRITE_PROTECTED,
            "member "
                + name
                + " lost the primary while writing ("
                + e.getMessage()
                + "); the write may or may not have been made: check, then try again");
      }
      switch (a.status()) {
        case "ok":
          awaitLocal(a.sequence());
          return r.result();
        case "conflict":
          awaitLocal(a.sequence());
          break;
        case "notPrimary":
          pause(100);
          break;
        default:
          throw new HsmException(ResultCode.valueOf(a.code()), a.message());
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

  /** The primary's side of a follower's write. */
  public PeerMessages.SubmitAnswer submit(PeerMessages.Submit s, String fingerprint) {
    Optional<Membership.Entry> caller = membership.byFingerprint(fingerprint);
    if (caller.isEmpty() || !caller.get().memberId().equals(s.memberId())) {
      return new PeerMessages.SubmitAnswer(
          "refused",
          membership.epoch(),
          0,
          ResultCode.CKR_FUNCTION_REJECTED.name(),
          "member " + s.memberId() + " is not a member of this cluster");
    }
    ChangeSet changes = LogCodec.decode(s.changes()).changes();
    LogEntry entry;
    gate.readLock().lock();
    try {
      if (!isPrimary()) {
        return new PeerMessages.SubmitAnswer(
            "notPrimary", membership.epoch(), 0, null, "this member is not the primary");
      }
      try {
        entry = store.appendAsPrimary(membership.epoch(), changes);
      } catch (ReplicationConflictException e) {
        return new PeerMessages.SubmitAnswer(
            "conflict", membership.epoch(), store.position().sequence(), null, e.getMessage());
      } catch (HsmException e) {
        return new PeerMessages.SubmitAnswer(
            "refused", membership.epoch(), 0, e.code().name(), e.getMessage());
      }
      appended(entry);
    } finally {
      gate.readLock().unlock();
    }
    awaitReplicated(entry.position().sequence());
    return new PeerMessages.SubmitAnswer(
        "ok", entry.position().epoch(), entry.position().sequence(), null, null);
  }

  private void appended(LogEntry entry) {
    lastSequence = entry.position().sequence();
    applied(entry.changes());
    synchronized (logSignal) {
      logSignal.notifyAll();
    }
  }

  /** After an entry is in the store: caches dropped, membership reloaded. */
  private void applied(ChangeSet changes) {
    boolean members = false;
    for (RowChange c : changes.changes()) {
      if (c instanceof RowChange.ObjectRow o && o.before() != null) {
        appliance.boundary().evictObject(o.keyringId(), o.handle());
      } else if (c instanceof RowChange.KeyringRow k && k.after() == null) {
        appliance.boundary().evictKeyring(k.id());
      } else if (c instanceof RowChange.ClusterValue v && v.name().equals(Membership.KEY)) {
        members = true;
      }
    }
    if (members) {
      Membership m = load();
      membership = m;
      if (m.epoch() > highestEpochSeen) {
        highestEpochSeen = m.epoch();
      }
      if (primaryHint != null && primaryHint.equals(m.primaryId())) {
        primaryHint = null;
      }
      if (m.member(memberId).isEmpty()) {
        removed = true;
        LOG.warn("member {} was removed from the cluster", name);
      }
    }
  }

  /** Waits until every live follower acknowledged {@code sequence}. */
  private void awaitReplicated(long sequence) {
    if (!awaitLog(() -> lagging(sequence) == null)) {
      LOG.warn(
          "{} did not acknowledge entry {} in time; going on without it",
          lagging(sequence),
          sequence);
    }
  }

  /** A live follower that has not acknowledged {@code sequence}, or null. */
  private String lagging(long sequence) {
    long now = System.nanoTime();
    for (Membership.Entry m : membership.members()) {
      if (m.memberId().equals(memberId)) {
        continue;
      }
      Long polled = lastPoll.get(m.memberId());
      if (polled == null || now - polled > LIVE.toNanos()) {
        continue; // not live: it catches up when it comes back
      }
      Long a = acked.get(m.memberId());
      if (a == null || a < sequence) {
        return m.name();
      }
    }
    return null;
  }

  /** Waits until this member applied {@code sequence} (a write made through the primary). */
  private void awaitLocal(long sequence) {
    if (!awaitLog(() -> lastSequence >= sequence)) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "member "
              + name
              + " did not receive entry "
              + sequence
              + " from the primary in time; the write was made on the cluster");
    }
  }

  /**
   * Waits on the log signal (appends, applies, acknowledgements) until {@code done} holds, at most
   * {@link #REPLICATION_WAIT}; false when the time ran out.
   */
  private boolean awaitLog(BooleanSupplier done) {
    long deadline = System.nanoTime() + REPLICATION_WAIT.toNanos();
    synchronized (logSignal) {
      while (!done.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          return false;
        }
        try {
          logSignal.wait(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "interrupted while replicating");
        }
      }
      return true;
    }
  }

  // ------------------------------------------------------------------ the primary's side of a poll

  public PeerMessages.PollAnswer poll(PeerMessages.Poll p, String fingerprint) {
    Membership m = membership;
    Optional<Membership.Entry> caller = m.byFingerprint(fingerprint);
    if (caller.isEmpty() || !caller.get().memberId().equals(p.memberId())) {
      return answer("removed", List.of());
    }
    if (!isPrimary()) {
      return answer("notPrimary", List.of());
    }
    String id = p.memberId();
    lastPoll.put(id, System.nanoTime());
    LogPosition mine = store.position();
    if (p.sequence() > mine.sequence()) {
      return answer("resync", List.of());
    }
    if (p.sequence() > 0) {
      Optional<Long> e = store.epochAt(p.sequence());
      if (e.isEmpty() || e.get() != p.epoch()) {
        return answer("resync", List.of());
      }
    }
    synchronized (logSignal) {
      acked.merge(id, p.sequence(), Math::max);
      logSignal.notifyAll();
    }
    long wait = Math.max(0, Math.min(p.waitMillis(), 1_000));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait);
    synchronized (logSignal) {
      while (lastSequence <= p.sequence() && !closed && isPrimary()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          logSignal.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    List<byte[]> out = new ArrayList<>();
    for (LogEntry e : store.entriesAfter(p.sequence(), MAX_ENTRIES_PER_POLL)) {
      out.add(LogCodec.encode(e));
    }
    lastPoll.put(id, System.nanoTime());
    return answer("ok", out);
  }

  private PeerMessages.PollAnswer answer(String status, List<byte[]> entries) {
    Membership m = membership;
    Map<String, Boolean> vis = new HashMap<>();
    for (Membership.Entry e : m.members()) {
      vis.put(e.memberId(), visible(e.memberId()));
    }
    return new PeerMessages.PollAnswer(
        status,
        primaryHint != null ? primaryHint : m.primaryId(),
        m.epoch(),
        lastSequence,
        entries,
        vis);
  }

  private static Snapshot fetchSnapshot(PeerClient peers, String target) throws IOException {
    PeerMessages.SnapshotAnswer a =
        peers.get(
            target, "/v1/peer/snapshot", PeerMessages.SnapshotAnswer.class, Duration.ofMinutes(2));
    return LogCodec.decodeSnapshot(a.snapshot());
  }

  /**
   * Copies the cluster's state from the member at {@code primaryAddress} into a joining member's
   * store (before its cluster service starts).
   *
   * @return how many keyrings it holds afterwards
   */
  public static int copyState(
      Appliance appliance, SSLContext peerTls, Map<String, String> routes, String primaryAddress) {
    try (PeerClient peers = new PeerClient(peerTls, routes)) {
      Snapshot s = fetchSnapshot(peers, primaryAddress);
      appliance.store().installSnapshot(s);
      return s.keyrings().size();
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "copying the cluster's state from " + primaryAddress + " failed: " + e.getMessage());
    }
  }

  public PeerMessages.SnapshotAnswer snapshot(String fingerprint) {
    if (membership.byFingerprint(fingerprint).isEmpty()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_REJECTED, "only members of this cluster may copy its state");
    }
    return new PeerMessages.SnapshotAnswer(LogCodec.encode(store.snapshot()));
  }

  // ------------------------------------------------------------------ following

  private void followLoop() {
    while (!closed) {
      try {
        if (removed || isPrimary()) {
          pause(200);
          continue;
        }
        String target = primaryAddress();
        LogPosition pos = store.position();
        PeerMessages.PollAnswer a =
            peers.post(
                target,
                "/v1/peer/poll",
                new PeerMessages.Poll(memberId, pos.epoch(), pos.sequence(), POLL_WAIT_MS),
                PeerMessages.PollAnswer.class,
                Duration.ofMillis(POLL_WAIT_MS + 1_000));
        switch (a.status()) {
          case "ok":
            lastPrimaryContact = System.nanoTime();
            for (byte[] raw : a.entries()) {
              LogEntry e = LogCodec.decode(raw);
              store.applyEntry(e);
              synchronized (logSignal) {
                lastSequence = Math.max(lastSequence, e.position().sequence());
                logSignal.notifyAll();
              }
              applied(e.changes());
            }
            break;
          case "notPrimary":
            if (a.primaryId() != null && !a.primaryId().equals(memberId)) {
              primaryHint = a.primaryId();
            }
            if (a.epoch() > highestEpochSeen) {
              highestEpochSeen = a.epoch();
            }
            pause(100);
            break;
          case "removed":
            if (!removed) {
              LOG.warn(
                  "member {} is no longer a member of the cluster: factory-reset its cluster"
                      + " service before it joins again",
                  name);
            }
            removed = true;
            break;
          case "resync":
            resync(target);
            break;
          default:
            pause(200);
        }
      } catch (ReplicationGapException e) {
        LOG.info(
            "{}: the log does not follow the primary's ({}); copying its state",
            name,
            e.getMessage());
        try {
          resync(primaryAddress());
        } catch (IOException | RuntimeException r) {
          LOG.warn("{}: copying the primary's state failed: {}", name, r.getMessage());
          pause(500);
        }
      } catch (IOException e) {
        LOG.debug("{}: the primary did not answer: {}", name, e.getMessage());
        discoverPrimary();
        pause(200);
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        LOG.warn("{}: following the primary failed: {}", name, e.toString());
        pause(500);
      }
    }
  }

  private void resync(String target) throws IOException {
    Snapshot s = fetchSnapshot(peers, target);
    store.installSnapshot(s);
    for (var k : store.keyrings()) {
      appliance.boundary().evictKeyring(k.id());
    }
    synchronized (logSignal) {
      lastSequence = s.position().sequence();
      logSignal.notifyAll();
    }
    Membership m = load();
    membership = m;
    if (m.epoch() > highestEpochSeen) {
      highestEpochSeen = m.epoch();
    }
    if (m.member(memberId).isEmpty()) {
      removed = true;
    }
    LOG.info("{}: installed the primary's state at {}", name, s.position());
  }

  /** The address of the member to follow: the one the membership names, or a newer one learnt. */
  private String primaryAddress() {
    Membership m = membership;
    String id = primaryHint != null ? primaryHint : m.primaryId();
    Optional<Membership.Entry> e = m.member(id);
    if (e.isEmpty()) {
      e = m.member(m.primaryId());
    }
    return e.orElseThrow(() -> readOnlyError()).cryptoAddress();
  }

  private void discoverPrimary() {
    PeerMessages.Status best = null;
    for (PeerMessages.Status s : lastStatus.values()) {
      if (s.primary()
          && visible(s.memberId())
          && s.epoch() >= membership.epoch()
          && (best == null || s.epoch() > best.epoch())) {
        best = s;
      }
    }
    if (best != null && !best.memberId().equals(membership.primaryId())) {
      primaryHint = best.memberId();
    }
  }

  // ------------------------------------------------------------------ probing

  private void probe() {
    if (closed) {
      return;
    }
    for (Membership.Entry e : membership.members()) {
      if (e.memberId().equals(memberId) || !probing.add(e.memberId())) {
        continue;
      }
      peers.executor(
          () -> {
            try {
              PeerMessages.Status s =
                  peers.get(
                      e.cryptoAddress(),
                      "/v1/peer/status",
                      PeerMessages.Status.class,
                      Duration.ofMillis(800));
              lastSeen.put(e.memberId(), System.nanoTime());
              lastStatus.put(e.memberId(), s);
              if (s.primary() && s.epoch() > highestEpochSeen) {
                highestEpochSeen = s.epoch();
                if (!s.memberId().equals(memberId)) {
                  primaryHint = s.memberId();
                }
              }
            } catch (IOException | RuntimeException ex) {
              LOG.trace("{} did not answer: {}", e.name(), ex.getMessage());
            } finally {
              probing.remove(e.memberId());
            }
          });
    }
  }

  // ------------------------------------------------------------------ membership changes

  /** A replicated change of the membership (through the primary). */
  public Membership changeMembership(Function<Membership, Membership> change) {
    return write(
        tx -> {
          Membership cur =
              tx.clusterValue(Membership.KEY)
                  .map(Membership::decode)
                  .orElseThrow(
                      () -> new HsmException(ResultCode.CKR_DEVICE_ERROR, "no membership"));
          Membership next = change.apply(cur);
          tx.putClusterValue(Membership.KEY, next.encode());
          return next;
        });
  }

  /** Moves a member to an affinity group (created when new; at most 64). */
  public Membership moveToGroup(String member, String group) {
    return changeMembership(
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
  public void promote(String member) {
    Membership.Entry target = requireMember(membership, member);
    if (membership.isPrimary(target.memberId()) && visible(target.memberId())) {
      return;
    }
    if (readOnly(target.memberId())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member " + target.name() + " is read-only: only a read-write member can be promoted");
    }
    if (isPrimary()) {
      handover(target.memberId());
      return;
    }
    try {
      PeerMessages.Done d =
          peers.post(
              primaryAddress(),
              "/v1/peer/handover",
              new PeerMessages.Handover(target.memberId()),
              PeerMessages.Done.class,
              Duration.ofSeconds(15));
      if (!d.ok()) {
        throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, d.message());
      }
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the primary could not be reached to hand its role over: " + e.getMessage());
    }
  }

  /** On the primary: waits until the target holds every entry, then makes it primary. */
  public PeerMessages.Done handover(String targetId) {
    if (!isPrimary()) {
      return new PeerMessages.Done(false, "member " + name + " is not the primary");
    }
    Membership.Entry target = requireMember(membership, targetId);
    if (target.memberId().equals(memberId)) {
      return new PeerMessages.Done(true, "already primary");
    }
    gate.writeLock().lock();
    try {
      long want = store.position().sequence();
      boolean caughtUp;
      try {
        caughtUp = awaitLog(() -> acked.getOrDefault(target.memberId(), -1L) >= want);
      } catch (HsmException interrupted) {
        return new PeerMessages.Done(false, interrupted.getMessage());
      }
      if (!caughtUp) {
        return new PeerMessages.Done(
            false, "member " + target.name() + " did not catch up with the primary in time");
      }
      long epoch = membership.epoch() + 1;
      PeerMessages.Done d =
          peers.post(
              target.cryptoAddress(),
              "/v1/peer/promote",
              new PeerMessages.Promote(epoch, List.of()),
              PeerMessages.Done.class,
              Duration.ofSeconds(10));
      if (d.ok()) {
        primaryHint = target.memberId();
        highestEpochSeen = Math.max(highestEpochSeen, epoch);
        LOG.info("{} handed the primary role to {} (epoch {})", name, target.name(), epoch);
      }
      return d;
    } catch (IOException e) {
      return new PeerMessages.Done(
          false, "member " + target.name() + " could not be reached: " + e.getMessage());
    } finally {
      gate.writeLock().unlock();
    }
  }

  /** Becomes the primary in {@code epoch} (asked by the old primary or by a deleting member). */
  public PeerMessages.Done becomePrimary(PeerMessages.Promote p) {
    gate.writeLock().lock();
    try {
      Membership cur = membership;
      if (p.epoch() <= cur.epoch()) {
        return new PeerMessages.Done(
            false, "epoch " + p.epoch() + " is not newer than this member's " + cur.epoch());
      }
      Recorded<Membership> r =
          store.writeAsPrimary(
              p.epoch(),
              tx -> {
                Membership m = tx.clusterValue(Membership.KEY).map(Membership::decode).orElse(cur);
                Membership next =
                    m.withPrimary(memberId, p.epoch())
                        .next(
                            list -> {
                              list.removeIf(e -> p.remove().contains(e.memberId()));
                              return list;
                            });
                tx.putClusterValue(Membership.KEY, next.encode());
                return next;
              });
      primaryHint = null;
      highestEpochSeen = Math.max(highestEpochSeen, p.epoch());
      lastPoll.clear();
      acked.clear();
      appended(r.entry());
      LOG.info("{} is now the primary (epoch {})", name, p.epoch());
      return new PeerMessages.Done(true, name + " is the primary");
    } finally {
      gate.writeLock().unlock();
    }
  }

  /**
   * Deletes a member that this member cannot see (unrecoverable). Deleting the primary promotes the
   * visible member that holds the most of the log.
   */
  public void deleteUnrecoverable(String member) {
    Membership m = membership;
    Membership.Entry target = requireMember(m, member);
    if (target.memberId().equals(memberId)) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member " + name + " is the member you are talking to: make it leave instead");
    }
    if (visible(target.memberId())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member "
              + target.name()
              + " is visible to "
              + name
              + ": only a member that cannot be reached may be deleted; a reachable one leaves");
    }
    if (!m.isPrimary(target.memberId())) {
      changeMembership(
          cur ->
              cur.next(
                  list -> {
                    list.removeIf(e -> e.memberId().equals(target.memberId()));
                    return list;
                  }));
      return;
    }
    // the primary is gone: promote the visible member holding the most of the log
    String best = memberId;
    long bestSeq = store.position().sequence();
    for (Membership.Entry e : m.members()) {
      if (e.memberId().equals(memberId) || e.memberId().equals(target.memberId())) {
        continue;
      }
      PeerMessages.Status s = lastStatus.get(e.memberId());
      if (s != null && visible(e.memberId()) && s.sequence() > bestSeq) {
        best = e.memberId();
        bestSeq = s.sequence();
      }
    }
    PeerMessages.Promote p =
        new PeerMessages.Promote(
            Math.max(m.epoch(), highestEpochSeen) + 1, List.of(target.memberId()));
    PeerMessages.Done d;
    if (best.equals(memberId)) {
      d = becomePrimary(p);
    } else {
      try {
        d =
            peers.post(
                requireMember(m, best).cryptoAddress(),
                "/v1/peer/promote",
                p,
                PeerMessages.Done.class,
                Duration.ofSeconds(10));
      } catch (IOException e) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "the member chosen as new primary could not be reached: " + e.getMessage());
      }
    }
    if (!d.ok()) {
      throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, d.message());
    }
  }

  /** Removes this member from the cluster (every other member must be visible). */
  public void leave() {
    Membership m = membership;
    for (Membership.Entry e : m.members()) {
      if (!visible(e.memberId())) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "member " + e.name() + " is not visible: every other member must be online to leave");
      }
    }
    if (isPrimary() && m.members().size() > 1) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "member " + name + " is the primary: promote another member first, then leave");
    }
    if (m.members().size() > 1) {
      changeMembership(
          cur ->
              cur.next(
                  list -> {
                    list.removeIf(e -> e.memberId().equals(memberId));
                    return list;
                  }));
    }
    removed = true;
  }

  private static Membership.Entry requireMember(Membership m, String idOrName) {
    return m.member(idOrName)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_ARGUMENTS_BAD, "the cluster has no member " + idOrName));
  }

  // ------------------------------------------------------------------ helpers

  private Membership load() {
    return store
        .clusterValue(Membership.KEY)
        .map(Membership::decode)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_DEVICE_ERROR,
                    "this member's store holds no cluster membership"));
  }

  private HsmException readOnlyError() {
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

  private HsmException removedError() {
    return new HsmException(
        ResultCode.CKR_DEVICE_REMOVED,
        "member "
            + name
            + " was removed from its cluster: factory-reset its cluster service, then join again");
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
    follower.interrupt();
    synchronized (logSignal) {
      logSignal.notifyAll();
    }
    peers.close();
    appliance.replicateThrough(null);
  }
}
