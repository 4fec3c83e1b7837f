package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.password;
import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.sim.boundary.MemberPki;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.Membership;
import dev.keyring.sim.server.AdminMessages.PartitionLabel;
import dev.keyring.sim.server.ClusterServiceState.ClientRow;
import dev.keyring.sim.server.ClusterServiceState.MemberRow;
import dev.keyring.store.ClusterRecord;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/clusters}: create the cluster (HSM SO), list it, its members (authorize, affinity
 * group, primary), and the clients registered with it (CSR signed by the cluster CA; revocation).
 * Joining (on the joiner, which then asks a member of the cluster through its admin API: {@code
 * join-requests}), leaving, deleting an unrecoverable member and promoting go through the member's
 * cluster service ({@link ClusterNode}).
 */
final class ClusterEndpoints {
  static final int MAX_CLIENTS = 10_000;
  static final String LABEL_RULE = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
  private static final Pattern LABEL = Pattern.compile(LABEL_RULE);
  private static final Pattern CLIENT_LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}");
  private static final Pattern SERIAL = Pattern.compile("[0-9a-fA-F]{1,40}");
  static final String VERSION = version();
  private static final Logger LOG = LoggerFactory.getLogger(ClusterEndpoints.class);

  private final AdminApi api;

  ClusterEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    r.add("POST", "/api/clusters", ApplianceRole.ADMIN, this::create)
        .add("GET", "/api/clusters", ApplianceRole.MONITOR, this::list)
        .add("GET", "/api/clusters/{clusterID}", ApplianceRole.MONITOR, this::show)
        .add("PUT", "/api/clusters/{clusterID}", ApplianceRole.ADMIN, this::join)
        .add(
            "POST",
            "/api/clusters/{clusterID}/join-requests",
            ApplianceRole.ADMIN,
            this::joinRequest)
        .add(
            "POST",
            "/api/clusters/{clusterID}/join-requests/complete",
            ApplianceRole.ADMIN,
            this::joinComplete)
        .add("GET", "/api/clusters/{clusterID}/members", ApplianceRole.MONITOR, this::members)
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
            this::memberDelete)
        .add("POST", "/api/clusters/{clusterID}/clients", ApplianceRole.ADMIN, this::register)
        .add("GET", "/api/clusters/{clusterID}/clients", ApplianceRole.MONITOR, this::clients)
        .add(
            "DELETE",
            "/api/clusters/{clusterID}/clients/{serial}",
            ApplianceRole.ADMIN,
            this::revoke);
  }

  /** A cluster as listed. */
  record ClusterView(String clusterLabel, String clusterUUID, String createdAt) {}

  /** The answer to a cluster creation. */
  record Created(
      String clusterLabel,
      String clusterUUID,
      String memberID,
      String memberName,
      String warning) {}

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

  /** A registered client. */
  record ClientView(
      String serial,
      String commonName,
      String label,
      String monitorUser,
      String notAfter,
      String registeredAt,
      boolean revoked,
      String revokedAt) {}

  /** A list answer: {@code {"data": [...]}}. */
  record DataList<T>(List<T> data) {}

  /**
   * The body of {@code PUT /api/clusters/{clusterID}} (join): the remote member's IP address and
   * admin API port (default 50070), its admin password, and optionally the SHA-256 fingerprint of
   * its admin certificate (hex) to pin; without it the certificate is trusted on first use and its
   * fingerprint is reported.
   */
  record JoinCluster(
      List<AdminMessages.Credential> authentication,
      String remoteClusterIpAddress,
      Integer remoteAdminPort,
      String remoteAdminPassword,
      String remoteCertificateFingerprint,
      String action) {}

  // ------------------------------------------------------------------ cluster

  private void create(AdminCall call) throws IOException {
    AdminMessages.CreateCluster b = call.body(AdminMessages.CreateCluster.class);
    String so = password(b.authentication(), "SO", PartitionLabel.FORBIDDEN, null);
    String label = required(b.clusterLabel(), "clusterLabel");
    if (!LABEL.matcher(label).matches()) {
      throw ApiError.badRequest(
          "clusterLabel must be 1 to 64 characters of letters, digits, '_', '.', '-', starting"
              + " with a letter or digit");
    }
    synchronized (api.clusterLock) {
      api.requireRunning();
      api.appliance.hsm().authenticateSo(so);
      api.appliance
          .cluster()
          .ifPresent(
              c -> {
                throw ApiError.conflict(
                    ResultCode.CKR_FUNCTION_FAILED,
                    "this appliance already belongs to cluster '"
                        + c.label()
                        + "' ("
                        + c.id()
                        + "); an appliance holds one cluster");
              });
      api.appliance.hsm().requireReadyForCluster();
      ClusterRecord c = api.appliance.createCluster(so, label);
      api.appliance.boundary().pki().createClusterCa(c.id(), c.label());
      MemberRow m = api.state.member(c);
      String warning = null;
      try {
        api.member.startCryptoApi();
      } catch (Exception e) {
        LOG.warn("the crypto API did not start after creating cluster {}", c.id(), e);
        warning =
            "the crypto API did not start ("
                + e.getMessage()
                + "); retry with POST /api/lunasa/services/cluster/actions/start";
      }
      LOG.info("cluster '{}' ({}) created by {}", c.label(), c.id(), call.principal.user());
      call.x.response.getHeaders().put(HttpHeader.LOCATION, "/api/clusters/" + c.id());
      call.x.reply(
          201,
          new Created(
              c.label(),
              c.id().toString(),
              m.memberId,
              api.appliance.defaultMemberName(),
              warning));
    }
  }

  private void list(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    List<ClusterView> out = new ArrayList<>();
    api.appliance.cluster().ifPresent(c -> out.add(view(c)));
    call.x.ok(new DataList<>(out));
  }

  private void show(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    call.x.ok(view(api.requireCluster(call.param("clusterID"))));
  }

  private static ClusterView view(ClusterRecord c) {
    return new ClusterView(c.label(), c.id().toString(), c.createdAt().toString());
  }

  private void join(AdminCall call) throws IOException {
    JoinCluster b = call.body(JoinCluster.class);
    if (!"join".equals(required(b.action(), "action"))) {
      throw ApiError.badRequest("unknown action: PUT /api/clusters/{clusterID} takes action join");
    }
    String co = password(b.authentication(), "CO", PartitionLabel.REQUIRED, api.partitionLabel());
    required(b.remoteClusterIpAddress(), "remoteClusterIpAddress");
    required(b.remoteAdminPassword(), "remoteAdminPassword");
    AdminApi.uuid(call.param("clusterID"), "clusterID");
    api.requireRunning();
    api.appliance
        .cluster()
        .ifPresent(
            c -> {
              throw ApiError.conflict(
                  ResultCode.CKR_FUNCTION_FAILED,
                  "this appliance already belongs to cluster '"
                      + c.label()
                      + "' ("
                      + c.id()
                      + "): it cannot join another");
            });
    api.appliance.hsm().authenticateCo(co);
    UUID clusterId = AdminApi.uuid(call.param("clusterID"), "clusterID");
    int port = b.remoteAdminPort() == null ? 50070 : b.remoteAdminPort();
    if (port < 1 || port > 65535) {
      throw ApiError.badRequest("remoteAdminPort must be 1 to 65535");
    }
    synchronized (api.clusterLock) {
      JoinFlow.Result r =
          new JoinFlow(api)
              .join(
                  clusterId,
                  b.remoteClusterIpAddress(),
                  port,
                  b.remoteAdminPassword(),
                  b.remoteCertificateFingerprint());
      LOG.info("joined cluster {} through {}:{}", clusterId, b.remoteClusterIpAddress(), port);
      call.x.ok(r);
    }
  }

  private void joinRequest(AdminCall call) throws IOException {
    JoinFlow.Request b = call.body(JoinFlow.Request.class);
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    call.x.ok(new JoinFlow(api).admit(c, b));
  }

  private void joinComplete(AdminCall call) throws IOException {
    JoinFlow.Complete b = call.body(JoinFlow.Complete.class);
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    call.x.ok(new JoinFlow(api).complete(c, b));
  }

  // ------------------------------------------------------------------ members

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
          api.appliance.hsm().authenticateCo(co);
          MemberRow m =
              api.state.updateMember(
                  c,
                  row -> {
                    row.authorized = true;
                    return row;
                  });
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
        visible && (local ? api.state.member(c).authorized && !node.removed() : true),
        visible,
        local ? node.isPrimary() : node.membership().isPrimary(id),
        node.readOnly(id) ? "Read-Only" : "Read-Write",
        node.restartService(id),
        local ? VERSION : node.version(id),
        e.group(),
        !local || api.state.member(c).authorized,
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
        VERSION,
        m.group,
        m.authorized,
        true);
  }

  // ------------------------------------------------------------------ clients

  private void register(AdminCall call) throws IOException {
    ClientRegistration.Request b = call.body(ClientRegistration.Request.class);
    String cn = required(b.commonName(), "commonName");
    if (cn.isEmpty() || cn.length() > 64 || !cn.strip().equals(cn) || hasControl(cn)) {
      throw ApiError.badRequest(
          "commonName must be 1 to 64 characters, without control characters or surrounding"
              + " spaces");
    }
    byte[] der = Pem.csr(required(b.csr(), "csr"));
    if (b.label() != null && !CLIENT_LABEL.matcher(b.label()).matches()) {
      throw ApiError.badRequest(
          "label must be 1 to 64 characters of letters, digits, spaces, '_', '.', '-', starting"
              + " with a letter or digit");
    }
    if (b.monitorUser() != null) {
      ApplianceUsers.UserView u =
          api.users
              .get(b.monitorUser())
              .orElseThrow(
                  () ->
                      ApiError.badRequest(
                          "monitorUser names no appliance user: create it first (POST /users)"));
      if (!ApplianceRole.MONITOR.wireName().equals(u.role())) {
        throw ApiError.badRequest(
            "monitorUser must have the monitor role; '" + u.userId() + "' has " + u.role());
      }
    }
    synchronized (api.clusterLock) {
      api.requireRunning();
      ClusterRecord c = api.requireCluster(call.param("clusterID"));
      int port = api.member.cryptoPort();
      String advertised = api.member.config().advertisedCryptoAddress();
      if (port > 0 && advertised != null) {
        port = Integer.parseInt(advertised.substring(advertised.lastIndexOf(':') + 1));
      }
      if (port < 0) {
        throw ApiError.conflict(
            ResultCode.CKR_FUNCTION_FAILED,
            "the crypto API is not running: restart the cluster service");
      }
      if (api.state.clients().size() >= MAX_CLIENTS) {
        throw ApiError.conflict(
            ResultCode.CKR_DEVICE_MEMORY,
            "cluster " + c.id() + " already has " + MAX_CLIENTS + " registered clients");
      }
      MemberPki pki = api.appliance.boundary().pki();
      X509Certificate cert;
      try {
        cert = pki.issueClientCertificate(der, cn, AdminApi.clientValidity());
      } catch (StackOverflowError e) {
        throw ApiError.badRequest("the CSR is not valid PKCS#10: it is nested too deeply");
      }
      ClientRow row = new ClientRow();
      row.serial = cert.getSerialNumber().toString(16);
      row.commonName = cn;
      row.label = b.label();
      row.monitorUser = b.monitorUser();
      row.notAfter = cert.getNotAfter().toInstant().toString();
      row.registeredAt = now().toString();
      try {
        api.state.updateClients(
            all -> {
              all.clients.add(row);
              return all;
            });
      } catch (RuntimeException e) {
        pki.revoke(cert.getSerialNumber()); // never leave a valid certificate unrecorded
        throw e;
      }
      LOG.info(
          "client '{}' registered with cluster {} (certificate serial {}) by {}",
          cn,
          c.id(),
          row.serial,
          call.principal.user());
      call.x.reply(
          201,
          new ClientRegistration.Response(
              Pem.certificate(cert),
              Pem.certificate(pki.clusterCaCertificate()),
              c.id().toString(),
              cryptoHost(call),
              port,
              api.appliance.defaultMemberName()));
    }
  }

  /** The member's bind address, or the address the request came in on when bound to all. */
  private String cryptoHost(AdminCall call) {
    String bind = api.member.config().bindAddress();
    if (!bind.equals("0.0.0.0") && !bind.equals("::") && !bind.equals("[::]")) {
      return bind;
    }
    String core = api.state.service().coreIpAddress;
    if (core != null) {
      return core;
    }
    SocketAddress local = call.x.request.getConnectionMetaData().getLocalSocketAddress();
    if (local instanceof InetSocketAddress) {
      return ((InetSocketAddress) local).getAddress().getHostAddress();
    }
    return bind;
  }

  private void clients(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    api.requireCluster(call.param("clusterID"));
    List<ClientView> out = new ArrayList<>();
    for (ClientRow r : api.state.clients()) {
      out.add(
          new ClientView(
              r.serial,
              r.commonName,
              r.label,
              r.monitorUser,
              r.notAfter,
              r.registeredAt,
              r.revokedAt != null,
              r.revokedAt));
    }
    call.x.ok(new DataList<>(out));
  }

  private void revoke(AdminCall call) throws IOException {
    call.noBodyOrEmptyObject();
    String text = call.param("serial");
    if (!SERIAL.matcher(text).matches()) {
      throw ApiError.badRequest("serial must be the certificate's serial number in hexadecimal");
    }
    BigInteger serial = new BigInteger(text, 16);
    if (serial.signum() <= 0) {
      throw ApiError.badRequest("a certificate serial number is positive");
    }
    String key = serial.toString(16);
    synchronized (api.clusterLock) {
      api.requireRunning();
      ClusterRecord c = api.requireCluster(call.param("clusterID"));
      ClientRow row =
          api.state.clients().stream()
              .filter(r -> r.serial.equals(key))
              .findFirst()
              .orElseThrow(
                  () ->
                      ApiError.notFound(
                          "no client of cluster " + c.id() + " has certificate serial " + key));
      if (row.revokedAt == null) {
        api.appliance.boundary().pki().revoke(serial);
        String now = now().toString();
        api.state.updateClients(
            all -> {
              all.clients.stream()
                  .filter(r -> r.serial.equals(key))
                  .forEach(r -> r.revokedAt = now);
              return all;
            });
        LOG.info("client certificate {} revoked by {}", key, call.principal.user());
      }
      call.x.noContent();
    }
  }

  // ------------------------------------------------------------------ helpers

  static ApiError notImplemented(String what) {
    return new ApiError(
        501,
        ResultCode.CKR_FUNCTION_FAILED,
        what + " is not implemented in this simulator yet; nothing was changed",
        Map.of());
  }

  private Instant now() {
    return Instant.ofEpochMilli(api.member.config().ticker().currentTimeMillis());
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static String version() {
    String v = ClusterEndpoints.class.getPackage().getImplementationVersion();
    return "keyring-sim-" + (v == null ? "0.1.0-SNAPSHOT" : v);
  }
}
