package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.hsm.BackupHsm;
import dev.keyring.sim.hsm.BackupHsmPort;
import dev.keyring.sim.hsm.SmkBackups;
import dev.keyring.sim.server.AdminMessages.DataList;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Luna Backup HSMs connected to the appliance, and the backup and restore of the partition's SMK to
 * and from them (the guide's {@code token backup ...}, {@code partition backup} and {@code
 * partition restore}); every route needs the admin role:
 *
 * <ul>
 *   <li>{@code GET /api/lunasa/token/backup}: the connected backup HSMs;
 *   <li>{@code POST /api/lunasa/token/backup} {@code {path}}: connect the backup HSM in that
 *       directory (a new one when it is empty or missing);
 *   <li>{@code DELETE /api/lunasa/token/backup/{serial}}: disconnect it;
 *   <li>{@code PUT /api/lunasa/token/backup/{serial}} {@code {label, password, domain}}: initialize
 *       it (label, HSM SO password, cloning domain);
 *   <li>{@code GET /api/lunasa/token/backup/{serial}/partitions}: the SMK backups it holds;
 *   <li>{@code POST /api/lunasa/hsms/{hsmid}/partitions/{partitionid}/backup} {@code {serial,
 *       tokenpar?, coPassword, backupSoPassword, backupPartitionPassword, domain, replace?}}: back
 *       up the partition's SMK;
 *   <li>{@code POST /api/lunasa/hsms/{hsmid}/partitions/{partitionid}/restore} {@code {serial,
 *       tokenpar, backupPartitionPassword, coPassword}}: restore an SMK into the partition.
 * </ul>
 */
final class SmkBackupEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(SmkBackupEndpoints.class);

  private final AdminApi api;

  SmkBackupEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    String token = "/api/lunasa/token/backup";
    String partition = "/api/lunasa/hsms/{hsmid}/partitions/{partitionid}";
    r.add("GET", token, ApplianceRole.ADMIN, this::list)
        .add("POST", token, ApplianceRole.ADMIN, this::attach)
        .add("GET", token + "/{serial}", ApplianceRole.ADMIN, this::show)
        .add("PUT", token + "/{serial}", ApplianceRole.ADMIN, this::initialize)
        .add("DELETE", token + "/{serial}", ApplianceRole.ADMIN, this::detach)
        .add("GET", token + "/{serial}/partitions", ApplianceRole.ADMIN, this::partitions)
        .add("POST", partition + "/backup", ApplianceRole.ADMIN, this::backup)
        .add("POST", partition + "/restore", ApplianceRole.ADMIN, this::restore);
  }

  record Attach(String path) {}

  record Initialize(String label, String password, String domain) {}

  record Backup(
      String serial,
      String tokenpar,
      String coPassword,
      String backupSoPassword,
      String backupPartitionPassword,
      String domain,
      Boolean replace) {}

  record Restore(
      String serial, String tokenpar, String backupPartitionPassword, String coPassword) {}

  /** A backup HSM as listed. */
  record DeviceView(
      String serial,
      String label,
      boolean initialized,
      String cloningDomainFingerprint,
      int partitions,
      String path) {}

  /** An SMK backup as listed: the SMK id is a fingerprint (HMAC), never the key. */
  record BackupView(
      String tokenpar,
      String sourcePartition,
      String sourceSerial,
      String createdAt,
      String smkFingerprint) {}

  /** What a backup or restore did. */
  record OutcomeView(
      String partition, String serial, String tokenpar, String smkFingerprint, boolean replaced) {}

  private BackupHsmPort port() {
    return api.appliance.backupHsms();
  }

  private SmkBackups backups() {
    return api.appliance.smkBackups();
  }

  private static DeviceView view(BackupHsm b) {
    return new DeviceView(
        b.serial(),
        b.label(),
        b.initialized(),
        b.domainFingerprint(),
        b.initialized() ? b.partitions().size() : 0,
        b.directory().toString());
  }

  private BackupHsm device(AdminCall call) {
    return notFoundWhenAbsent(() -> port().find(call.param("serial")));
  }

  /** A backup HSM, partition or backup that is not there is a 404, not a 400. */
  private static <T> T notFoundWhenAbsent(java.util.function.Supplier<T> s) {
    try {
      return s.get();
    } catch (HsmException e) {
      if (e.code() == ResultCode.CKR_TOKEN_NOT_PRESENT) {
        throw new ApiError(404, e.code(), e.detail());
      }
      throw e;
    }
  }

  private void requireHsm(AdminCall call) {
    String id = call.param("hsmid");
    String own = api.appliance.hsm().serialNumber();
    if (!id.equals(own)) {
      throw ApiError.notFound("no HSM '" + id + "' in this appliance: its HSM is " + own);
    }
  }

  private void list(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(new DataList<>(port().list().stream().map(SmkBackupEndpoints::view).toList()));
  }

  private void show(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(view(device(call)));
  }

  private void attach(AdminCall call) throws IOException {
    Attach b = call.body(Attach.class);
    BackupHsm d = port().attach(required(b.path(), "path"));
    LOG.info("backup HSM {} connected by {}", d.serial(), call.principal.user());
    call.x.reply(201, view(d));
  }

  private void detach(AdminCall call) throws IOException {
    call.noBody();
    BackupHsm d = device(call);
    port().detach(d.serial());
    LOG.info("backup HSM {} disconnected by {}", d.serial(), call.principal.user());
    call.x.noContent();
  }

  private void initialize(AdminCall call) throws IOException {
    Initialize b = call.body(Initialize.class);
    String label = required(b.label(), "label");
    String password = required(b.password(), "password");
    String domain = required(b.domain(), "domain");
    BackupHsm d = device(call);
    d.initialize(label, password, domain);
    LOG.info("backup HSM {} initialized by {}", d.serial(), call.principal.user());
    call.x.ok(view(d));
  }

  private void partitions(AdminCall call) throws IOException {
    call.noBody();
    BackupHsm d = device(call);
    d.requireInitialized();
    List<BackupView> out =
        d.partitions().stream()
            .map(
                p ->
                    new BackupView(
                        p.label(), p.sourcePartition(), p.sourceSerial(), p.createdAt(), p.smkId()))
            .toList();
    call.x.ok(new DataList<>(out));
  }

  private void backup(AdminCall call) throws IOException {
    Backup b = call.body(Backup.class);
    String serial = required(b.serial(), "serial");
    String co = required(b.coPassword(), "coPassword");
    String so = required(b.backupSoPassword(), "backupSoPassword");
    String pw = required(b.backupPartitionPassword(), "backupPartitionPassword");
    String domain = required(b.domain(), "domain");
    requireHsm(call);
    String partition = call.param("partitionid");
    SmkBackups.Outcome o =
        notFoundWhenAbsent(
            () ->
                backups()
                    .backup(
                        partition,
                        serial,
                        b.tokenpar(),
                        co,
                        so,
                        pw,
                        domain,
                        Boolean.TRUE.equals(b.replace())));
    LOG.info(
        "SMK {} of partition '{}' backed up to '{}' on backup HSM {} by {}",
        o.smkId(),
        partition,
        o.tokenpar(),
        serial,
        call.principal.user());
    call.x.ok(outcome(o));
  }

  private void restore(AdminCall call) throws IOException {
    Restore b = call.body(Restore.class);
    String serial = required(b.serial(), "serial");
    String tokenpar = required(b.tokenpar(), "tokenpar");
    String pw = required(b.backupPartitionPassword(), "backupPartitionPassword");
    String co = required(b.coPassword(), "coPassword");
    requireHsm(call);
    String partition = call.param("partitionid");
    SmkBackups.Outcome o;
    synchronized (api.clusterLock) { // no cluster is created or joined meanwhile
      o = notFoundWhenAbsent(() -> backups().restore(partition, serial, tokenpar, pw, co));
    }
    LOG.info(
        "SMK {} restored into partition '{}' from '{}' on backup HSM {} by {}",
        o.smkId(),
        partition,
        tokenpar,
        serial,
        call.principal.user());
    call.x.ok(outcome(o));
  }

  private static OutcomeView outcome(SmkBackups.Outcome o) {
    return new OutcomeView(o.partition(), o.serial(), o.tokenpar(), o.smkId(), o.replaced());
  }
}
