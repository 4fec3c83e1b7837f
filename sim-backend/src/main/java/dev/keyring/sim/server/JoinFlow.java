package dev.keyring.sim.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.boundary.ProtectedSmk;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.Membership;
import dev.keyring.sim.cluster.PeerTransport;
import dev.keyring.store.ClusterRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;

/**
 * Joining a cluster, in two calls from the joiner to a member of the cluster's admin API (as its
 * {@code admin} user):
 *
 * <ol>
 *   <li>{@code POST /api/clusters/{id}/join-requests}: the member checks the clocks (at most 30 s
 *       apart), the cloning domain and that no other join is running (recorded in the replicated
 *       membership for two minutes), then clones the SMK to the joiner's one-time key and hands
 *       over the cluster CA (sealed under the SMK) and the appliance users.
 *   <li>{@code POST /api/clusters/{id}/join-requests/complete}: the joiner, now holding the SMK and
 *       the CA, gives its member certificate's fingerprint and addresses and is added to the
 *       membership (authorized, group {@code local}).
 * </ol>
 *
 * The joiner then copies the cluster's state from the primary and starts its cluster service, which
 * follows the primary's log from there.
 */
final class JoinFlow {
  static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(30);
  static final Duration PENDING = Duration.ofMinutes(2);

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** Step 1, joiner to member. */
  record Request(
      String joinerName,
      byte[] joinerPublicKey,
      String cloningDomainFingerprint,
      long clockMillis) {}

  /** The member's answer to step 1. */
  record Offer(String clusterId, String clusterLabel, byte[] smkBundle, byte[] clusterCa) {}

  /** Step 2, joiner to member. */
  record Complete(
      String memberId,
      String name,
      String cryptoAddress,
      String adminAddress,
      String certFingerprint) {}

  /** The member's answer to step 2. */
  record Completed(String primaryCryptoAddress, long membershipVersion) {}

  /** The answer to the join on the joiner's admin API. */
  record Result(
      String clusterLabel,
      String clusterUUID,
      String memberID,
      String memberName,
      String remoteCertificateFingerprint,
      int keyrings,
      long copyMillis) {}

  /**
   * The points of a join on the joiner after which it has changed something, in order. A test hook
   * ({@code AdminApi.joinHook}) may fail the join at any of them; the system property {@code
   * keyring.join.haltAt} naming one stops the process there at once (exit code 137), as a crash
   * would (crash tests).
   */
  enum Step {
    /** The SMK clone was opened inside the boundary. */
    SMK_IMPORTED,
    /** The cluster's SMK is the partition's. */
    SMK_INSTALLED,
    /** The cluster CA (and this member's certificate under it) are installed. */
    CA_INSTALLED,
    /**
     * About to ask to be added to the membership (the answer may be lost after the cluster did).
     */
    COMPLETING,
    /** The cluster's membership lists this member. */
    MEMBERSHIP_ADDED,
    /** The cluster's state (keyrings, users, clients) is copied into the store. */
    STATE_COPIED,
    /** This member's own row records its membership. */
    MEMBER_RECORDED,
    /** The cluster's users and clients replaced this member's. */
    USERS_REPLACED,
    /** The crypto API and the cluster service run. */
    SERVICE_STARTED
  }

  /**
   * The member's own {@code hsm_state} row that marks a join under way on the joiner, written
   * before its first change and deleted once the join is done or undone: found at start, the join
   * was cut short by a crash and is undone ({@link #recoverInterrupted}).
   */
  static final String JOURNAL = "join.pending";

  /** What the joiner had before the join, and how far the join got. */
  record Journal(
      String clusterId,
      String memberId,
      boolean hadSmk,
      boolean hadClusterCa,
      boolean completing) {}

  private final AdminApi api;
  private final Appliance appliance;

  JoinFlow(AdminApi api) {
    this.api = api;
    this.appliance = api.appliance;
  }

  // ------------------------------------------------------------------ on a member of the cluster

  Offer admit(ClusterRecord c, Request r) {
    ClusterNode node = requireNode();
    if (r.joinerName() == null
        || r.joinerPublicKey() == null
        || r.cloningDomainFingerprint() == null) {
      throw ApiError.badRequest(
          "joinerName, joinerPublicKey and cloningDomainFingerprint are required");
    }
    long skew = Math.abs(now(api) - r.clockMillis());
    if (skew > MAX_CLOCK_SKEW.toMillis()) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "the clocks of "
              + r.joinerName()
              + " and "
              + appliance.defaultMemberName()
              + " differ by "
              + skew / 1000
              + " s, more than the "
              + MAX_CLOCK_SKEW.toSeconds()
              + " s a join allows: set both clocks (NTP) and join again");
    }
    String domain = appliance.hsm().cloningDomainFingerprint();
    if (!domain.equals(r.cloningDomainFingerprint())) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "the joiner's partition is in another cloning domain than cluster '"
              + c.label()
              + "': initialize its partition with the cluster's cloning domain");
    }
    if (node.membership().member(r.joinerName()).isPresent()) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          r.joinerName()
              + " is already a member of cluster '"
              + c.label()
              + "': delete it and factory-reset its cluster service before it joins again");
    }
    long nowMillis = api.member.config().ticker().currentTimeMillis();
    node.changeMembership(
        m -> {
          Membership.PendingJoin p = m.pendingJoin();
          if (p != null
              && p.expiresAtMillis() > nowMillis
              && !p.joinerName().equals(r.joinerName())) {
            throw ApiError.conflict(
                ResultCode.CKR_FUNCTION_FAILED,
                "another join is in progress ("
                    + p.joinerName()
                    + "): members join one at a time; try again when it is done");
          }
          return m.withPendingJoin(
              new Membership.PendingJoin(r.joinerName(), nowMillis + PENDING.toMillis()));
        });
    // the users travel with the cluster's state: make sure it holds them (a cluster of an
    // earlier version kept them per member)
    api.users.publishToCluster();
    byte[] bundle = appliance.boundary().exportSmkClone(r.joinerPublicKey(), c.id(), domain);
    return new Offer(c.id().toString(), c.label(), bundle, appliance.pki().exportClusterCa());
  }

  Completed complete(ClusterRecord c, Complete b) {
    ClusterNode node = requireNode();
    if (b.memberId() == null
        || b.name() == null
        || b.cryptoAddress() == null
        || b.adminAddress() == null
        || b.certFingerprint() == null) {
      throw ApiError.badRequest(
          "memberId, name, cryptoAddress, adminAddress and certFingerprint are required");
    }
    Membership after =
        node.changeMembership(
            m -> {
              Membership.PendingJoin p = m.pendingJoin();
              if (p == null || !p.joinerName().equals(b.name())) {
                throw ApiError.conflict(
                    ResultCode.CKR_FUNCTION_FAILED,
                    "no join of that member is in progress: start with join-requests");
              }
              return m.next(
                      list -> {
                        list.add(
                            new Membership.Entry(
                                b.memberId(),
                                b.name(),
                                b.cryptoAddress(),
                                b.adminAddress(),
                                Membership.DEFAULT_GROUP,
                                b.certFingerprint(),
                                0)); // the joiner reports its channel port when it starts
                        return list;
                      })
                  .withPendingJoin(null);
            });
    String primary =
        after.member(after.primaryId()).map(Membership.Entry::cryptoAddress).orElseThrow();
    return new Completed(primary, after.version());
  }

  private ClusterNode requireNode() {
    ClusterNode node = api.member.node();
    if (node == null && api.state.running()) {
      try {
        api.member.startCryptoApi(); // starts the cluster service if an earlier start failed
      } catch (Exception e) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "the cluster service of "
                + appliance.defaultMemberName()
                + " could not be started: "
                + e.getMessage());
      }
      node = api.member.node();
    }
    if (node == null) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "the cluster service of " + appliance.defaultMemberName() + " is not running");
    }
    return node;
  }

  private static long now(AdminApi api) {
    return api.member.config().ticker().currentTimeMillis()
        + api.member.config().clockOffset().toMillis();
  }

  // ------------------------------------------------------------------ on the joiner

  Result join(
      UUID clusterId,
      String host,
      int port,
      String adminPassword,
      String pinnedFingerprint,
      String coPassword) {
    String name = appliance.defaultMemberName();
    String domain = appliance.hsm().cloningDomainFingerprint();
    appliance.hsm().requireReadyForCluster();
    RemoteAdmin remote = new RemoteAdmin(host, port, adminPassword, pinnedFingerprint);
    byte[] key = appliance.boundary().beginSmkClone();
    Offer offer =
        remote.post(
            "/api/clusters/" + clusterId + "/join-requests",
            new Request(name, key, domain, now(api)),
            Offer.class);
    if (!clusterId.toString().equals(offer.clusterId())) {
      throw ApiError.conflict(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the member at "
              + host
              + " belongs to cluster "
              + offer.clusterId()
              + ", not "
              + clusterId);
    }
    // from here on this member changes: whatever fails before the end puts it back as it was
    Runnable restoreIdentities = appliance.pki().clusterIdentitiesRestorer();
    boolean hadSmk = appliance.hsm().hasSmk();
    boolean hadClusterCa = appliance.pki().hasClusterCa();
    String memberId = UUID.randomUUID().toString();
    boolean added = false;
    int keyrings;
    long copyMillis;
    ClusterRecord c;
    journal(new Journal(clusterId.toString(), memberId, hadSmk, hadClusterCa, false));
    try {
      ProtectedSmk smk = appliance.boundary().importSmkClone(offer.smkBundle(), clusterId, domain);
      reached(Step.SMK_IMPORTED);
      appliance.hsm().installClonedSmk(smk);
      reached(Step.SMK_INSTALLED);
      appliance.pki().installClusterCa(offer.clusterCa());
      String fingerprint = appliance.pki().memberCertificateFingerprint(name);
      reached(Step.CA_INSTALLED);
      // from the moment it is asked, the cluster may have added this member even if its answer
      // never arrives: a failure from here on asks it to drop the member
      added = true;
      journal(new Journal(clusterId.toString(), memberId, hadSmk, hadClusterCa, true));
      reached(Step.COMPLETING);
      Completed done =
          remote.post(
              "/api/clusters/" + clusterId + "/join-requests/complete",
              new Complete(
                  memberId,
                  name,
                  api.member.cryptoAddress(),
                  api.member.adminAddress(),
                  fingerprint),
              Completed.class);
      reached(Step.MEMBERSHIP_ADDED);
      Ticker ticker = api.member.config().ticker();
      long t0 = ticker.nanoTime();
      keyrings = copyState(name, done.primaryCryptoAddress());
      copyMillis = (ticker.nanoTime() - t0) / 1_000_000;
      reached(Step.STATE_COPIED);
      c = appliance.cluster().orElseThrow();
      api.state.updateMember(
          c,
          row -> {
            row.memberId = memberId;
            row.authorized = true;
            row.authorizationLost = false;
            row.primary = false;
            return row;
          });
      reached(Step.MEMBER_RECORDED);
      reloadViews(); // the cluster's users and clients, from its state, replace this member's
      reached(Step.USERS_REPLACED);
      try {
        api.member.startCryptoApi();
      } catch (Exception e) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "the crypto API and cluster service did not start: " + e.getMessage(),
            e);
      }
      reached(Step.SERVICE_STARTED);
      journal(null);
    } catch (RuntimeException | Error e) {
      String undone = undo(restoreIdentities, hadSmk);
      String withdrawn = added ? remote.withdraw(clusterId, memberId, coPassword) : "";
      String note = "; the join was undone: " + undone + withdrawn;
      if (e instanceof HsmException h) {
        throw new HsmException(h.code(), h.detail() + note, h);
      }
      if (e instanceof ApiError a) {
        throw new ApiError(a.status, a.code, a.getMessage() + note, a.headers);
      }
      throw e;
    }
    return new Result(
        c.label(),
        c.id().toString(),
        memberId,
        name,
        remote.seenFingerprint(),
        keyrings,
        copyMillis);
  }

  /**
   * Puts this member back as it was before a join that failed part-way: no cluster (nor its
   * keyrings, users or clients), its own cluster CA and member certificate (none, usually), no SMK
   * if it had none, its own appliance users.
   *
   * @return what was done, for the refusal's message
   */
  private String undo(Runnable restoreIdentities, boolean hadSmk) {
    try {
      api.member.stopCryptoApi(); // nothing to do unless it was started
      appliance
          .cluster()
          .ifPresent(
              c -> {
                appliance.store().write(tx -> tx.deleteCluster(c.id()));
                api.state.forgetCluster();
              });
      restoreIdentities.run();
      if (!hadSmk) {
        appliance.hsm().clearSmk();
      }
      reloadViews();
      journal(null);
      return "this member holds no cluster, SMK or cluster CA from it, and keeps its own users";
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(JoinFlow.class)
          .error("undoing a failed join left this member part-way: {}", e.toString());
      return "undoing it failed too ("
          + e.getMessage()
          + "): factory-reset the cluster service before joining again";
    }
  }

  private int copyState(String name, String primaryCryptoAddress) {
    try (PeerTransport peers =
        PeerTransport.overTls(
            appliance.pki().peerClientContext(name), api.member.config().peerRoutes())) {
      return ClusterNode.copyState(appliance.store(), peers, primaryCryptoAddress);
    }
  }

  /** Leaves: out of the membership, then this member forgets the cluster. */
  void leave(ClusterNode node) {
    node.leave();
    api.member.stopCryptoApi();
    api.users.keepLocally(); // the cluster's users stay this appliance's
    ClusterRecord c = appliance.cluster().orElse(null);
    if (c != null) {
      appliance.store().write(tx -> tx.deleteCluster(c.id()));
    }
    appliance.pki().forgetCluster();
    appliance.hsm().clearSmk();
    api.state.forgetCluster();
    reloadViews();
  }

  /** Writes the join's journal row, or deletes it ({@code null}). */
  private void journal(Journal j) {
    byte[] row = j == null ? null : encode(j);
    appliance
        .store()
        .write(
            tx -> {
              if (row == null) {
                tx.deleteHsmState(JOURNAL);
              } else {
                tx.putHsmState(JOURNAL, row);
              }
              return null;
            });
  }

  private static byte[] encode(Journal j) {
    try {
      return JSON.writeValueAsBytes(j);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * At start, before anything else reads the cluster's state: a join that a crash cut short (its
   * journal row is there) is undone, as a failed join is: no cluster, keyrings, SMK or cluster CA
   * from it, the member's own users. When the crash came after the cluster was asked to add this
   * member, the cluster may list it: the warning names the member to delete there.
   *
   * @param users the member's users, read again once their cluster copy is gone
   */
  static void recoverInterrupted(Appliance appliance, ClusterServiceState state, Runnable users) {
    java.util.Optional<byte[]> row = appliance.store().hsmState(JOURNAL);
    if (row.isEmpty()) {
      return;
    }
    Journal j;
    try {
      j = JSON.readValue(row.get(), Journal.class);
    } catch (IOException e) {
      j = new Journal("?", "?", false, false, true);
    }
    appliance
        .cluster()
        .ifPresent(
            c -> {
              appliance.store().write(tx -> tx.deleteCluster(c.id()));
              state.forgetCluster();
            });
    if (!j.hadClusterCa()) {
      appliance.pki().forgetCluster();
    }
    if (!j.hadSmk()) {
      appliance.hsm().clearSmk();
    }
    users.run();
    appliance
        .store()
        .write(
            tx -> {
              tx.deleteHsmState(JOURNAL);
              return null;
            });
    org.slf4j.LoggerFactory.getLogger(JoinFlow.class)
        .warn(
            "a join of cluster {} was cut short (this member stopped during it) and is undone:"
                + " this member holds no cluster, SMK or cluster CA from it, and keeps its own"
                + " users{}",
            j.clusterId(),
            j.completing()
                ? "; the cluster may list it as member "
                    + j.memberId()
                    + ": delete it there (cluster member delete -memberid "
                    + j.memberId()
                    + ") before it joins again"
                : "");
  }

  /** The member's views of replicated state read again (the store changed under them). */
  private void reloadViews() {
    api.usersChanged();
    api.clients.reload();
    api.assignments.reload();
    api.lockouts.reloadAll();
  }

  /** The join reached {@code step} on the joiner: the crash and test hooks. */
  private void reached(Step step) {
    if (step.name().equalsIgnoreCase(System.getProperty("keyring.join.haltAt"))) {
      Runtime.getRuntime().halt(137);
    }
    api.joinHook.accept(step);
  }
}
