package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.password;
import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.server.AdminMessages.DataList;
import dev.keyring.sim.server.AdminMessages.PartitionLabel;
import dev.keyring.sim.server.ClusterServiceState.MemberRow;
import dev.keyring.store.ClusterRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/clusters}: create the cluster (HSM SO), list and show it, and join one (on the
 * joiner, which then asks a member of the cluster through its admin API: {@code join-requests}).
 * Its members are {@link MemberEndpoints}, its clients {@link ClientEndpoints}.
 */
final class ClusterEndpoints {
  static final String LABEL_RULE = dev.keyring.sim.keyring.KeyringService.LABEL_RULE;
  static final Pattern LABEL = Pattern.compile(LABEL_RULE);
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
            this::joinComplete);
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
      api.appliance.pki().createClusterCa(c.id(), c.label());
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
                  b.remoteCertificateFingerprint(),
                  co);
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
}
