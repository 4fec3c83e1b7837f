package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.password;
import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.Membership;
import dev.keyring.sim.server.AdminMessages.DataList;
import dev.keyring.sim.server.AdminMessages.PartitionLabel;
import dev.keyring.sim.server.ClusterServiceState.MemberRow;
import dev.keyring.store.ClusterRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/clusters/{clusterID}/members} and {@code .../state}: the members as this member sees
 * them (visible, primary, read-only), authorizing this member, its affinity group, promotion,
 * leaving and deleting an unrecoverable member, through the member's cluster service ({@link
 * ClusterNode}); without a running service, this member alone as its own record says.
 */
final class MemberEndpoints {
  private static final Pattern LABEL = ClusterEndpoints.LABEL;
  private static final Logger LOG = LoggerFactory.getLogger(MemberEndpoints.class);

  private final AdminApi api;

  MemberEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    r.add("GET", "/api/clusters/{clusterID}/members", ApplianceRole.MONITOR, this::members)
        .add("GET", "/api/clusters/{clusterID}/state", ApplianceRole.MONITOR, this::state)
        .add(
            "GET",
            "/api/clusters/{clusterID}/members/{memberID}",
            ApplianceRole.MONITOR,
            this::memberShow)
        .add(
            "PUT",
            "/api/clusters/{clusterID}/members/{memberID}",
            ApplianceRole.ADMIN,
            this::memberUpdate)
        .add(
            "PATCH",
            "/api/clusters/{clusterID}/members/{memberID}",
            ApplianceRole.ADMIN,
            this::memberLeave)
        .add(
            "DELETE",
            "/api/clusters/{clusterID}/members/{memberID}",
            ApplianceRole.ADMIN,
            this::memberDelete);
  }

  /** A member, with the fields of {@code GET /api/clusters/{clusterID}/members/{memberID}}. */
  record MemberView(
      String memberID,
      String memberName,
      String label,
      String clusterID,
      String ipAddress,
      boolean memberActive,
      boolean visibleToServicingNode,
      boolean primaryNode,
      String mode,
      boolean restartService,
      String version,
      String group,
      boolean authorized,
      boolean local) {}

  /**
   * This member's replicated state: its log position and the digest of its keyrings and objects
   * (equal on converged members).
   */
  record StateView(
      String memberID,
      String memberName,
      long epoch,
      long logEpoch,
      long sequence,
      int keyrings,
      String digest,
      boolean primaryNode,
      String mode,
      int openSessions,
      long cryptoRequests) {}

  private void members(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    ClusterNode node = api.member.node();
    if (node == null) {
      call.x.ok(new DataList<>(List.of(memberView(c, api.state.member(c)))));
      return;
    }
    List<MemberView> out = new ArrayList<>();
    for (Membership.Entry e : node.membership().members()) {
      out.add(memberView(c, e, node));
    }
    call.x.ok(new DataList<>(out));
  }

  private void state(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    ClusterNode node = api.member.node();
    dev.keyring.store.LogPosition p = api.appliance.store().position();
    String digest = api.appliance.store().stateDigest();
    MemberRow m = api.state.member(c);
    call.x.ok(
        new StateView(
            m.memberId,
            api.appliance.defaultMemberName(),
            node == null ? p.epoch() : node.membership().epoch(),
            p.epoch(),
            p.sequence(),
            api.appliance.store().keyringCount(),
            digest,
            node == null ? m.primary : node.isPrimary(),
            node == null ? mode(m) : node.readOnly(node.memberId()) ? "Read-Only" : "Read-Write",
            api.member.openSessions(),
            api.member.cryptoRequests()));
  }

  private void memberShow(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    ClusterNode node = api.member.node();
    if (node != null) {
      call.x.ok(memberView(c, requireEntry(node, call.param("memberID")), node));
      return;
    }
    call.x.ok(memberView(c, requireMember(c, call.param("memberID"))));
  }

  private void memberUpdate(AdminCall call) throws IOException {
    AdminMessages.MemberUpdate b = call.body(AdminMessages.MemberUpdate.class);
    String action = required(b.action(), "action");
    switch (action) {
      case "authorize":
        if (b.group() != null || b.primary() != null) {
          throw ApiError.badRequest("action authorize takes only 'authentication'");
        }
        String co =
            password(b.authentication(), "CO", PartitionLabel.REQUIRED, api.partitionLabel());
        synchronized (api.clusterLock) {
          api.requireRunning();
          ClusterRecord c = api.requireCluster(call.param("clusterID"));
          requireMember(c, call.param("memberID"));
          MemberRow m = api.authorizeLocalMember(c, co);
          LOG.info("member {} authorized by {}", m.memberId, call.principal.user());
          call.x.ok(memberView(c, m));
        }
        return;
      case "config":
        if (b.authentication() != null) {
          throw ApiError.badRequest("action config takes no 'authentication'");
        }
        if (b.group() == null && b.primary() == null) {
          throw ApiError.badRequest("action config needs 'group', 'primary' or both");
        }
        if (b.group() != null && !LABEL.matcher(b.group()).matches()) {
          throw ApiError.badRequest(
              "group must be 1 to 64 characters of letters, digits, '_', '.', '-', starting with a"
                  + " letter or digit");
        }
        if (Boolean.FALSE.equals(b.primary())) {
          throw ApiError.badRequest(
              "'primary' can only be true: to move the primary role, promote another member");
        }
        synchronized (api.clusterLock) {
          api.requireRunning();
          ClusterRecord c = api.requireCluster(call.param("clusterID"));
          ClusterNode node = api.member.node();
          if (node != null) {
            Membership.Entry e = requireEntry(node, call.param("memberID"));
            if (b.group() != null) {
              node.moveToGroup(e.memberId(), b.group());
            }
            if (Boolean.TRUE.equals(b.primary())) {
              node.promote(e.memberId());
            }
            call.x.ok(memberView(c, requireEntry(node, e.memberId()), node));
            return;
          }
          MemberRow current = requireMember(c, call.param("memberID"));
          // Up to 64 affinity groups per cluster: with one member there is one group, so moving
          // it (which replaces its group) cannot exceed the limit.
          if (Boolean.TRUE.equals(b.primary()) && !"Read-Write".equals(mode(current))) {
            throw ApiError.conflict(
                ResultCode.CKR_FUNCTION_FAILED,
                "only a read-write member can be promoted to primary");
          }
          MemberRow m =
              api.state.updateMember(
                  c,
                  row -> {
                    if (b.group() != null) {
                      row.group = b.group();
                    }
                    if (Boolean.TRUE.equals(b.primary())) {
                      row.primary = true;
                    }
                    return row;
                  });
          call.x.ok(memberView(c, m));
        }
        return;
      default:
        throw ApiError.badRequest(
            "unknown action for PUT on a member: use authorize or config (leave is PATCH)");
    }
  }

  private void memberLeave(AdminCall call) throws IOException {
    AdminMessages.KeyringUpdate b = call.body(AdminMessages.KeyringUpdate.class);
    if (!"leave".equals(required(b.action(), "action"))) {
      throw ApiError.badRequest("unknown action: PATCH on a member takes action leave");
    }
    String co = password(b.authentication(), "CO", PartitionLabel.REQUIRED, api.partitionLabel());
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    requireMember(c, call.param("memberID"));
    api.appliance.hsm().authenticateCo(co);
    synchronized (api.clusterLock) {
      ClusterNode node = api.member.node();
      if (node == null
          || !node.memberId()
              .equalsIgnoreCase(requireEntry(node, call.param("memberID")).memberId())) {
        throw ApiError.conflict(
            ResultCode.CKR_FUNCTION_FAILED,
            "a member leaves from itself: send this to the leaving member's admin API");
      }
      new JoinFlow(api).leave(node);
      LOG.info("member {} left cluster {}", api.appliance.defaultMemberName(), c.id());
      call.x.ok(new AdminMessages.Empty());
    }
  }

  private void memberDelete(AdminCall call) throws IOException {
    AdminMessages.Authenticated b = call.body(AdminMessages.Authenticated.class);
    String co = password(b.authentication(), "CO", PartitionLabel.OPTIONAL, api.partitionLabel());
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    api.appliance.hsm().authenticateCo(co);
    ClusterNode node = api.member.node();
    if (node != null) {
      synchronized (api.clusterLock) {
        Membership.Entry e = requireEntry(node, call.param("memberID"));
        node.deleteUnrecoverable(e.memberId());
        LOG.info(
            "member {} deleted from cluster {} by {}", e.name(), c.id(), call.principal.user());
        call.x.ok(new AdminMessages.Empty());
        return;
      }
    }
    requireMember(c, call.param("memberID"));
    throw ApiError.conflict(
        ResultCode.CKR_FUNCTION_FAILED,
        "member "
            + api.appliance.defaultMemberName()
            + " is the member you are talking to: delete a member from another member of the"
            + " cluster, or make this one leave");
  }

  private MemberRow requireMember(ClusterRecord c, String memberId) {
    MemberRow m = api.state.member(c);
    if (memberId.equalsIgnoreCase(m.memberId)
        || memberId.equals(api.appliance.defaultMemberName())) {
      return m;
    }
    if (!AdminApi.UUID_TEXT.matcher(memberId).matches() && !LABEL.matcher(memberId).matches()) {
      throw ApiError.badRequest("memberID must be a member's UUID or name");
    }
    throw ApiError.notFound("cluster " + c.id() + " has no member " + memberId);
  }

  private String mode(MemberRow m) {
    // the primary is always read-write; this one-member cluster's member is its primary
    return m.primary && api.state.running() ? "Read-Write" : "Read-Only";
  }

  private static Membership.Entry requireEntry(ClusterNode node, String idOrName) {
    return node.membership()
        .member(idOrName)
        .orElseThrow(() -> ApiError.notFound("the cluster has no member " + idOrName));
  }

  private MemberView memberView(ClusterRecord c, Membership.Entry e, ClusterNode node) {
    String id = e.memberId();
    boolean local = id.equals(node.memberId());
    boolean visible = node.visible(id);
    String admin = e.adminAddress();
    return new MemberView(
        id,
        e.name(),
        e.name(),
        c.id().toString(),
        admin.substring(0, admin.lastIndexOf(':')),
        visible && node.authorized(id) && !(local && node.removed()),
        visible,
        local ? node.isPrimary() : node.membership().isPrimary(id),
        node.readOnly(id) ? "Read-Only" : "Read-Write",
        node.restartService(id),
        local ? api.packages.installed() : node.version(id),
        e.group(),
        node.authorized(id),
        local);
  }

  private MemberView memberView(ClusterRecord c, MemberRow m) {
    boolean running = api.state.running();
    String core = api.state.service().coreIpAddress;
    return new MemberView(
        m.memberId,
        api.appliance.defaultMemberName(),
        api.appliance.defaultMemberName(),
        c.id().toString(),
        core != null ? core : api.member.config().bindAddress(),
        running && m.authorized,
        running,
        m.primary,
        mode(m),
        api.state.restartRequired(),
        api.packages.installed(),
        m.group,
        m.authorized,
        true);
  }
}
