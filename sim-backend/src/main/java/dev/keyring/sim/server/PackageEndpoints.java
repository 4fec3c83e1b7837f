package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.backup.BackupFiles;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.Membership;
import dev.keyring.sim.packages.InstalledPackages;
import dev.keyring.sim.packages.PackageFile;
import dev.keyring.store.LogPosition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance's software and support file: {@code GET /api/lunasa/packages} (the installed {@code
 * cluster_service-###-#####.x86_64}), {@code POST /api/lunasa/packageFiles} (a signed package file,
 * verified and kept), {@code POST /api/lunasa/hsms/{hsmid}/firmware/actions/upgrade} (installs the
 * uploaded package: pending, the member's {@code restartService} flag set, installed when the
 * cluster service next starts) and {@code POST /api/lunasa/hsms/{hsmid}/supportInfo} (writes {@code
 * supportInfo.txt} to the caller's files).
 */
final class PackageEndpoints {
  static final String SUPPORT_INFO = "supportInfo.txt";
  private static final Logger LOG = LoggerFactory.getLogger(PackageEndpoints.class);

  private final AdminApi api;
  private final BackupFiles files;

  PackageEndpoints(AdminApi api) {
    this.api = api;
    this.files = new BackupFiles(api.appliance.config().dataDir().resolve("files"));
  }

  void register(AdminRoutes r) {
    r.add("GET", "/api/lunasa/packages", ApplianceRole.MONITOR, this::list)
        .add("POST", "/api/lunasa/packageFiles", ApplianceRole.ADMIN, this::upload)
        .add(
            "POST",
            "/api/lunasa/hsms/{hsmid}/firmware/actions/{actionid}",
            ApplianceRole.ADMIN,
            this::firmwareAction)
        .add(
            "POST", "/api/lunasa/hsms/{hsmid}/supportInfo", ApplianceRole.ADMIN, this::supportInfo);
  }

  /** One package of the list. */
  record PackageView(String name, String version, String packageName, String status) {}

  /** The answer to an upload. */
  record Uploaded(String name, String version, String packageName, String message) {}

  /** The answer to an upgrade. */
  record Upgraded(String installed, String pending, boolean restartService, String message) {}

  /** Where the support file went. */
  record SupportInfo(String fileName, String userId, String location, long size) {}

  private InstalledPackages packages() {
    return api.packages;
  }

  private void list(AdminCall call) throws IOException {
    call.noBody();
    InstalledPackages p = packages();
    List<PackageView> out = new ArrayList<>();
    out.add(
        new PackageView(
            PackageFile.CLUSTER_SERVICE, p.installed(), p.installedPackage(), "installed"));
    p.pending()
        .ifPresent(
            v ->
                out.add(
                    new PackageView(
                        PackageFile.CLUSTER_SERVICE,
                        v,
                        PackageFile.fullName(PackageFile.CLUSTER_SERVICE, v),
                        "pending restart of the cluster service")));
    call.x.ok(new AdminMessages.DataList<>(out));
  }

  private void upload(AdminCall call) throws IOException {
    byte[] body = call.x.body().bytes();
    if (body.length > PackageFile.MAX_BYTES) {
      throw new ApiError(
          413,
          ResultCode.CKR_DATA_LEN_RANGE,
          "a package file is at most " + PackageFile.MAX_BYTES + " bytes, got " + body.length);
    }
    PackageFile file;
    try {
      file = PackageFile.verify(body);
    } catch (PackageFile.RefusedPackage e) {
      throw ApiError.badRequest(e.getMessage());
    }
    packages().upload(file);
    String name = PackageFile.fullName(file.name(), file.version());
    LOG.info("package file {} uploaded by {}", name, call.principal.user());
    call.x.ok(
        new Uploaded(
            file.name(),
            file.version(),
            name,
            "verified and kept: install it with POST"
                + " /api/lunasa/hsms/{hsmid}/firmware/actions/upgrade"));
  }

  private void firmwareAction(AdminCall call) throws IOException {
    requireHsm(call);
    if (!"upgrade".equals(call.param("actionid"))) {
      throw ApiError.notFound("no such firmware action: use upgrade");
    }
    call.noBodyOrEmptyObject();
    String pending;
    synchronized (api.clusterLock) {
      try {
        pending = packages().upgrade();
      } catch (IllegalStateException e) {
        throw ApiError.conflict(ResultCode.CKR_FUNCTION_FAILED, e.getMessage());
      }
    }
    LOG.info(
        "{} installed by {}: it runs from the next start of the cluster service",
        PackageFile.fullName(PackageFile.CLUSTER_SERVICE, pending),
        call.principal.user());
    call.x.ok(
        new Upgraded(
            packages().installedPackage(),
            PackageFile.fullName(PackageFile.CLUSTER_SERVICE, pending),
            true,
            "installed; restart the cluster service to run it (restartService stays true until"
                + " then)"));
  }

  private void supportInfo(AdminCall call) throws IOException {
    requireHsm(call);
    call.noBodyOrEmptyObject();
    String user = call.principal.user();
    byte[] text = supportText().getBytes(StandardCharsets.UTF_8);
    long size = files.write(user, SUPPORT_INFO, out -> out.write(text));
    LOG.info("{} written for {}", SUPPORT_INFO, user);
    call.x.ok(
        new SupportInfo(SUPPORT_INFO, user, "/users/" + user + "/files/" + SUPPORT_INFO, size));
  }

  /** The support file: software, member and store facts; no key material, no password verifier. */
  String supportText() throws IOException {
    InstalledPackages p = packages();
    StringBuilder b = new StringBuilder();
    b.append("supportInfo of ").append(api.appliance.defaultMemberName()).append('\n');
    b.append("generated: ").append(Instant.now()).append('\n');
    b.append("hsm serial: ").append(api.appliance.hsm().serialNumber()).append('\n');
    b.append("cluster_service: ").append(p.installedPackage()).append('\n');
    b.append("pending package: ")
        .append(
            p.pending()
                .map(v -> PackageFile.fullName(PackageFile.CLUSTER_SERVICE, v))
                .orElse("none"))
        .append('\n');
    b.append("cluster service status: ")
        .append(api.state.running() ? "running" : "stopped")
        .append('\n');
    var cluster = api.appliance.cluster();
    if (cluster.isEmpty()) {
      b.append("cluster: none\n");
    } else {
      b.append("cluster: ")
          .append(cluster.get().label())
          .append(' ')
          .append(cluster.get().id())
          .append('\n');
      b.append("member: ").append(api.state.member(cluster.get()).memberId).append('\n');
      b.append("member authorized: ").append(api.state.authorized()).append('\n');
    }
    ClusterNode node = api.member.node();
    if (node != null) {
      b.append("membership epoch: ").append(node.membership().epoch()).append('\n');
      b.append("primary: ").append(node.isPrimary()).append('\n');
      for (Membership.Entry e : node.membership().members()) {
        String id = e.memberId();
        b.append("member ")
            .append(id)
            .append(' ')
            .append(e.name())
            .append(" visible=")
            .append(node.visible(id))
            .append(" version=")
            .append(node.version(id))
            .append('\n');
      }
    }
    LogPosition pos = api.appliance.store().position();
    b.append("log position: epoch ")
        .append(pos.epoch())
        .append(", sequence ")
        .append(pos.sequence())
        .append('\n');
    b.append("keyrings: ").append(api.appliance.store().keyringCount()).append('\n');
    b.append("store size: ").append(storeBytes()).append(" bytes\n");
    return b.toString();
  }

  private long storeBytes() throws IOException {
    Path data = api.appliance.config().dataDir();
    Path userFiles = data.resolve("files");
    try (Stream<Path> all = Files.walk(data)) {
      return all.filter(f -> !f.startsWith(userFiles))
          .filter(Files::isRegularFile)
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (IOException e) {
                  return 0; // a file removed meanwhile
                }
              })
          .sum();
    } catch (java.io.UncheckedIOException e) {
      return -1; // a directory removed during the walk: the size is unknown
    }
  }

  private void requireHsm(AdminCall call) {
    String id = call.param("hsmid");
    String serial = api.appliance.hsm().serialNumber();
    if (!id.equals(serial)) {
      throw ApiError.notFound("no HSM '" + id + "' in this appliance: its HSM is " + serial);
    }
  }
}
