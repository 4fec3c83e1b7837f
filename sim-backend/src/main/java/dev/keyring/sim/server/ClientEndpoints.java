package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.sim.boundary.MemberPki;
import dev.keyring.sim.server.AdminMessages.DataList;
import dev.keyring.sim.server.ClusterServiceState.ClientRow;
import dev.keyring.store.ClusterRecord;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/clusters/{clusterID}/clients}: register a client (its CSR signed by the cluster CA),
 * list the registered clients, revoke one's certificate. Registrations and revocations are
 * replicated cluster state ({@link RegisteredClients}): done through any member, they hold on every
 * member. A certificate is valid for the member's {@code clientCertificateValidity} (two years by
 * default); a client renews it by registering again (a new key and certificate), then the old
 * certificate is revoked.
 */
final class ClientEndpoints {
  static final int MAX_CLIENTS = 10_000;
  private static final Pattern CLIENT_LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}");
  private static final Pattern SERIAL = Pattern.compile("[0-9a-fA-F]{1,40}");
  private static final Logger LOG = LoggerFactory.getLogger(ClientEndpoints.class);

  private final AdminApi api;

  ClientEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    r.add("POST", "/api/clusters/{clusterID}/clients", ApplianceRole.ADMIN, this::register)
        .add("GET", "/api/clusters/{clusterID}/clients", ApplianceRole.MONITOR, this::clients)
        .add(
            "DELETE",
            "/api/clusters/{clusterID}/clients/{serial}",
            ApplianceRole.ADMIN,
            this::revoke);
  }

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
      api.clients.migrateLegacy();
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
      if (api.clients.size() >= MAX_CLIENTS) {
        throw ApiError.conflict(
            ResultCode.CKR_DEVICE_MEMORY,
            "cluster " + c.id() + " already has " + MAX_CLIENTS + " registered clients");
      }
      MemberPki pki = api.appliance.pki();
      X509Certificate cert;
      try {
        cert = pki.issueClientCertificate(der, cn, api.member.config().clientCertificateValidity());
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
      // the certificate is handed out only once its registration is acknowledged: a refused
      // write leaves a certificate nobody received
      api.clients.register(row);
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
    List<ClientRow> rows = new ArrayList<>(api.clients.list());
    rows.addAll(api.state.clients()); // registrations of an earlier version, not moved yet
    for (ClientRow r : rows) {
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
      api.clients.migrateLegacy();
      if (api.clients.get(key).isEmpty()) {
        throw ApiError.notFound(
            "no client of cluster " + c.id() + " has certificate serial " + key);
      }
      if (api.clients.revoke(key, now().toString())) {
        LOG.info("client certificate {} revoked by {}", key, call.principal.user());
      }
      call.x.noContent();
    }
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
}
