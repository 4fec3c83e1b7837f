package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.password;
import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.server.AdminMessages.DataList;
import dev.keyring.sim.server.AdminMessages.PartitionLabel;
import dev.keyring.sim.server.ClusterServiceState.Endpoint;
import dev.keyring.sim.server.ClusterServiceState.ServiceRow;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster service: {@code /api/lunasa/services/cluster} (status, on-boot flag, start, stop,
 * restart, enable, disable, factory reset) and {@code /api/cluster/config} (core IP address; admin
 * and crypto interface and port). Stopping closes the crypto API and makes the cluster and keyring
 * endpoints answer "cluster service stopped"; starting brings them back.
 *
 * <p>Network settings are saved and reported; a real appliance applies them when the cluster
 * service restarts, while this simulated member keeps listening where it was started. Factory reset
 * (admin, SO password, service stopped) makes the member forget its cluster: keyrings, objects,
 * SMK, cluster CA, member certificate, membership and registered clients.
 */
final class ServiceEndpoints {
  static final int ADMIN_PORT_MIN = 50075;
  static final int ADMIN_PORT_MAX = 50079;
  static final int CRYPTO_PORT_MIN = 50055;
  static final int CRYPTO_PORT_MAX = 50059;
  static final int ADMIN_PORT_DEFAULT = 50070;
  static final int CRYPTO_PORT_DEFAULT = 50052;
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
  private static final Pattern INTERFACE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}");
  private static final Logger LOG = LoggerFactory.getLogger(ServiceEndpoints.class);

  private final AdminApi api;

  ServiceEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    r.add("GET", "/api/lunasa/services", ApplianceRole.MONITOR, this::list)
        .add("GET", "/api/lunasa/services/{serviceid}", ApplianceRole.MONITOR, this::show)
        .add("PATCH", "/api/lunasa/services/{serviceid}", ApplianceRole.OPERATOR, this::patch)
        .add(
            "POST",
            "/api/lunasa/services/{serviceid}/actions/{actionid}",
            ApplianceRole.OPERATOR,
            this::action)
        .add("GET", "/api/cluster/config", ApplianceRole.MONITOR, this::config)
        .add("PUT", "/api/cluster/config", ApplianceRole.ADMIN, this::configure);
  }

  /**
   * The cluster service's state. {@code status} is {@code running} or {@code stopped}; as the guide
   * says of this resource, it reads {@code stopped} until a start has finished, and {@code
   * starting} says that one is under way (LunaSH's {@code starting}). A member without its V1
   * partition reports {@code stopped}: the service cannot run there.
   */
  record ServiceView(
      String serviceid,
      String status,
      boolean starting,
      boolean onBoot,
      Integer cryptoApiPort,
      boolean restartRequired) {}

  /** One service's network settings, as {@code PUT /api/cluster/config} takes them. */
  record ConfigView(
      String service,
      @com.fasterxml.jackson.annotation.JsonProperty("IpAddress") String ipAddress,
      @com.fasterxml.jackson.annotation.JsonProperty("interface") String networkInterface,
      Integer port,
      Integer listeningPort) {}

  /** The network settings and whether a restart is needed to apply them. */
  record ConfigList(List<ConfigView> data, boolean restartRequired, String note) {}

  /** The answer to a saved setting. */
  record ConfigSaved(ConfigView saved, boolean restartRequired, String message) {}

  private ServiceView view() {
    int port = api.member.cryptoPort();
    return new ServiceView(
        "cluster",
        api.state.running() && !api.state.starting() && api.appliance.hsm().partition().isPresent()
            ? "running"
            : "stopped",
        api.state.starting(),
        api.state.service().onBoot,
        port < 0 ? null : port,
        api.state.restartRequired());
  }

  private void list(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(new DataList<>(List.of(view())));
  }

  private void show(AdminCall call) throws IOException {
    call.noBody();
    requireCluster(call.param("serviceid"));
    call.x.ok(view());
  }

  private void patch(AdminCall call) throws IOException {
    AdminMessages.ServiceUpdate b = call.body(AdminMessages.ServiceUpdate.class);
    boolean onBoot = required(b.onBoot(), "onBoot");
    requireCluster(call.param("serviceid"));
    synchronized (api.clusterLock) {
      api.state.updateService(
          s -> {
            s.onBoot = onBoot;
            return s;
          });
      call.x.ok(view());
    }
  }

  private void action(AdminCall call) throws Exception {
    requireCluster(call.param("serviceid"));
    String action = call.param("actionid");
    switch (action) {
      case "start":
        call.noBodyOrEmptyObject();
        synchronized (api.clusterLock) {
          start();
        }
        break;
      case "stop":
        call.noBodyOrEmptyObject();
        synchronized (api.clusterLock) {
          requireAdminOnPrimary(call, action);
          stop();
        }
        break;
      case "restart":
        call.noBodyOrEmptyObject();
        synchronized (api.clusterLock) {
          requireAdminOnPrimary(call, action);
          requirePartition();
          stop();
          start();
        }
        break;
      case "enable":
        call.noBodyOrEmptyObject();
        synchronized (api.clusterLock) {
          requirePartition();
          setOnBoot(true);
          start();
        }
        break;
      case "disable":
        call.noBodyOrEmptyObject();
        synchronized (api.clusterLock) {
          setOnBoot(false);
        }
        break;
      case "factoryreset":
        factoryReset(call);
        return;
      default:
        throw ApiError.notFound(
            "no such action on the cluster service: use start, stop, restart, enable, disable or"
                + " factoryreset");
    }
    LOG.info("cluster service {} by {}", action, call.principal.user());
    call.x.ok(view());
  }

  /**
   * Stopping the cluster service of the primary member takes the whole cluster's writes down until
   * a member is promoted or it is started again: the administration guide has the admin do it, so
   * the operator role may stop (or restart) the service of other members only.
   */
  private void requireAdminOnPrimary(AdminCall call, String action) {
    ClusterNode node = api.member.node();
    if (!call.is(ApplianceRole.ADMIN) && node != null && node.isPrimary()) {
      throw new ApiError(
          403,
          ResultCode.CKR_FUNCTION_REJECTED,
          "member "
              + api.appliance.defaultMemberName()
              + " is the cluster's primary: only the admin role may "
              + action
              + " its cluster service (the operator role may do it on other members)");
    }
  }

  private void factoryReset(AdminCall call) throws IOException {
    if (!call.is(ApplianceRole.ADMIN)) {
      throw new ApiError(
          403,
          ResultCode.CKR_FUNCTION_REJECTED,
          "factory reset of the cluster service needs the admin role");
    }
    AdminMessages.Authenticated b = call.body(AdminMessages.Authenticated.class);
    String so = password(b.authentication(), "SO", PartitionLabel.FORBIDDEN, null);
    synchronized (api.clusterLock) {
      if (api.state.running()) {
        throw ApiError.conflict(
            ResultCode.CKR_FUNCTION_FAILED,
            "stop the cluster service before a factory reset (POST"
                + " /api/lunasa/services/cluster/actions/stop)");
      }
      api.users.keepLocally(); // the cluster's users stay this appliance's
      api.appliance.factoryResetCluster(so);
      api.state.forgetCluster();
      api.usersChanged();
      api.clients.reload();
      LOG.info("cluster service factory reset by {}", call.principal.user());
      call.x.ok(view());
    }
  }

  private void setOnBoot(boolean value) {
    api.state.updateService(
        s -> {
          s.onBoot = value;
          return s;
        });
  }

  private void requirePartition() {
    if (api.appliance.hsm().partition().isEmpty()) {
      throw ApiError.conflict(
          ResultCode.CKR_TOKEN_NOT_PRESENT,
          "the cluster service cannot start before the HSM has its V1 partition");
    }
  }

  private void start() throws Exception {
    requirePartition();
    ServiceClock.outsideValidity(api.appliance.pki(), ServiceClock.now(api.member.config()))
        .ifPresent(
            why -> {
              throw ApiError.conflict(ResultCode.CKR_FUNCTION_FAILED, why);
            });
    api.state.starting(true);
    try {
      api.serviceStartHook.run();
      if (api.appliance.cluster().isPresent() && api.appliance.pki().hasClusterCa()) {
        api.member.startCryptoApi();
      }
      api.state.running(true);
      api.state.restartRequired(false);
    } finally {
      api.state.starting(false);
    }
  }

  private void stop() {
    api.member.stopCryptoApi();
    api.state.running(false);
  }

  private static void requireCluster(String serviceId) {
    if (!"cluster".equals(serviceId)) {
      throw ApiError.notFound("no such service here: this simulator has the cluster service only");
    }
  }

  // ------------------------------------------------------------------ network configuration

  private void config(AdminCall call) throws IOException {
    call.noBody();
    ServiceRow s = api.state.service();
    call.x.ok(
        new ConfigList(
            List.of(
                new ConfigView("core", s.coreIpAddress, null, null, null),
                new ConfigView(
                    "admin", null, s.admin.networkInterface, s.admin.port, api.member.adminPort()),
                new ConfigView(
                    "crypto",
                    null,
                    s.crypto.networkInterface,
                    s.crypto.port,
                    api.member.cryptoPort() < 0 ? null : api.member.cryptoPort()),
                new ConfigView(
                    "channel",
                    null,
                    null,
                    null,
                    api.member.channelPort() < 0 ? null : api.member.channelPort())),
            api.state.restartRequired(),
            note()));
  }

  private void configure(AdminCall call) throws IOException {
    AdminMessages.ClusterConfig b = call.body(AdminMessages.ClusterConfig.class);
    String service = required(b.service(), "service");
    ConfigView saved;
    synchronized (api.clusterLock) {
      switch (service) {
        case "core":
          saved = configureCore(b);
          break;
        case "admin":
          saved = configureEndpoint(b, "admin", ADMIN_PORT_MIN, ADMIN_PORT_MAX, ADMIN_PORT_DEFAULT);
          break;
        case "crypto":
          saved =
              configureEndpoint(b, "crypto", CRYPTO_PORT_MIN, CRYPTO_PORT_MAX, CRYPTO_PORT_DEFAULT);
          break;
        default:
          throw ApiError.badRequest("unknown service: use core, admin or crypto");
      }
    }
    LOG.info("cluster {} network settings saved by {}", service, call.principal.user());
    call.x.ok(new ConfigSaved(saved, api.state.restartRequired(), note()));
  }

  private static String note() {
    return "saved settings take effect when the cluster service restarts on an appliance; this"
        + " simulated member keeps listening on the ports it was started with";
  }

  private ConfigView configureCore(AdminMessages.ClusterConfig b) {
    if (b.networkInterface() != null || b.port() != null) {
      throw ApiError.badRequest("service core takes only 'IpAddress'");
    }
    String ip = required(b.ipAddress(), "IpAddress");
    InetAddress address = localAddress(ip);
    String normalized = address.getHostAddress();
    String current = api.state.service().coreIpAddress;
    if (current != null && !current.equals(normalized)) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "the core IP address is "
              + current
              + " and can change only after a factory reset of the cluster service");
    }
    if (current == null) {
      api.state.updateService(
          s -> {
            s.coreIpAddress = normalized;
            return s;
          });
      api.state.restartRequired(true);
    }
    return new ConfigView("core", normalized, null, null, null);
  }

  private ConfigView configureEndpoint(
      AdminMessages.ClusterConfig b, String service, int min, int max, int dflt) {
    if (b.ipAddress() != null) {
      throw ApiError.badRequest(
          "service " + service + " takes 'interface' and 'port', not 'IpAddress'");
    }
    if (b.networkInterface() == null && b.port() == null) {
      throw ApiError.badRequest("service " + service + " needs 'interface', 'port' or both");
    }
    Integer port = b.port();
    if (port != null && port != dflt && (port < min || port > max)) {
      throw ApiError.badRequest(
          service
              + " port must be "
              + min
              + " to "
              + max
              + " (or the default "
              + dflt
              + "), got "
              + port);
    }
    String nic = b.networkInterface();
    if (nic != null) {
      requireInterface(nic);
    }
    ServiceRow next =
        api.state.updateService(
            s -> {
              Endpoint e = service.equals("admin") ? s.admin : s.crypto;
              if (nic != null) {
                e.networkInterface = nic;
              }
              if (port != null) {
                e.port = port;
              }
              return s;
            });
    api.state.restartRequired(true);
    Endpoint e = service.equals("admin") ? next.admin : next.crypto;
    return new ConfigView(service, null, e.networkInterface, e.port, null);
  }

  /** A literal IP address of one of this machine's interfaces (no name lookups). */
  private static InetAddress localAddress(String ip) {
    InetAddress address = null;
    try {
      if (IPV4.matcher(ip).matches()) {
        String[] parts = ip.split("\\.");
        byte[] b = new byte[4];
        boolean ok = true;
        for (int i = 0; i < 4; i++) {
          int v = Integer.parseInt(parts[i]);
          ok &= v <= 255 && (parts[i].length() == 1 || parts[i].charAt(0) != '0');
          b[i] = (byte) v;
        }
        address = ok ? InetAddress.getByAddress(b) : null;
      } else if (ip.indexOf(':') >= 0 && IPV6.matcher(ip).matches()) {
        address = InetAddress.getByName(ip); // a literal with ':' is never looked up
      }
    } catch (UnknownHostException | SecurityException e) {
      address = null;
    }
    if (address == null) {
      throw ApiError.badRequest("IpAddress must be a literal IPv4 or IPv6 address");
    }
    try {
      if (NetworkInterface.getByInetAddress(address) == null) {
        throw ApiError.badRequest(
            "IpAddress " + address.getHostAddress() + " is not an address of this appliance");
      }
    } catch (SocketException e) {
      throw ApiError.badRequest("the appliance's interfaces cannot be listed: " + e.getMessage());
    }
    return address;
  }

  private static void requireInterface(String name) {
    if (!INTERFACE.matcher(name).matches()) {
      throw ApiError.badRequest(
          "interface must be a network device name of 1 to 15 letters, digits, '_', '.', ':', '-'");
    }
    try {
      if (NetworkInterface.getByName(name) == null) {
        throw ApiError.badRequest("this appliance has no network device '" + name + "'");
      }
    } catch (SocketException e) {
      throw ApiError.badRequest("the appliance's interfaces cannot be listed: " + e.getMessage());
    }
  }
}
