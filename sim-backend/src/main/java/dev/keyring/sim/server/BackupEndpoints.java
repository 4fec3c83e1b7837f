package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.backup.BackupFiles;
import dev.keyring.sim.backup.BackupHooks;
import dev.keyring.sim.backup.BackupProgress;
import dev.keyring.sim.backup.BackupSchedule;
import dev.keyring.sim.backup.ClusterBackup;
import dev.keyring.sim.backup.ClusterRestore;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.Membership;
import dev.keyring.sim.server.AdminMessages.DataList;
import dev.keyring.store.ClusterRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster backup and restore: {@code PUT /api/clusters/{clusterID}/backup} (actions run, config,
 * enable, disable, show), {@code PUT} and {@code GET /api/cluster/restore}, and the appliance
 * users' files ({@code /users/{userId}/files}: list, download, delete), where backups are kept (the
 * admin user's). Backup and restore run on the primary only, with the cluster service running and
 * this member authorized; a restore also needs every other member's cluster service stopped.
 */
final class BackupEndpoints {
  /** The appliance user whose files hold the backups. */
  static final String BACKUP_USER = "admin";

  static final int MIN_PASSWORD = 8;
  static final int MAX_PASSWORD = 128;
  private static final long TICK_SECONDS = 20;
  private static final Logger LOG = LoggerFactory.getLogger(BackupEndpoints.class);

  private final AdminApi api;
  private final BackupFiles files;
  private final ClusterBackup backup;
  private final ClusterRestore restore;
  private final BackupSchedule schedule;
  private final BackupProgress backupProgress = new BackupProgress();
  private final BackupProgress restoreProgress = new BackupProgress();
  private final ExecutorService restores;
  private final ScheduledExecutorService ticks;

  /** A backup call's body. */
  record BackupRequest(
      String action, String filename, String password, Integer total, String time) {}

  /** A restore call's body. */
  record RestoreRequest(String filename, String password, String type) {}

  /** What a manual backup wrote. */
  record BackupDone(String filename, long size, int keyrings, int objects, String user) {}

  BackupEndpoints(AdminApi api) {
    this.api = api;
    BackupHooks hooks = BackupHooks.fromSystemProperty();
    this.files = new BackupFiles(api.appliance.config().dataDir().resolve("files"));
    files.removeLeftovers(BACKUP_USER);
    this.backup =
        new ClusterBackup(
            api.appliance.store(),
            files,
            new SecureRandom(),
            hooks,
            api.appliance.config().ticker()::currentTimeMillis);
    this.restore = new ClusterRestore(api.appliance.store(), api.appliance.boundary(), hooks);
    this.schedule =
        new BackupSchedule(
            api.appliance.store(),
            api.appliance.writer(),
            api.appliance.boundary(),
            files,
            backup,
            this::memberId,
            this::isPrimary,
            backupProgress,
            BACKUP_USER);
    this.restores = daemon("keyring-restore");
    this.ticks =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keyring-backup-schedule");
              t.setDaemon(true);
              return t;
            });
    ticks.scheduleWithFixedDelay(this::tick, TICK_SECONDS, TICK_SECONDS, TimeUnit.SECONDS);
  }

  private static ExecutorService daemon(String name) {
    return Executors.newSingleThreadExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  void register(AdminRoutes r) {
    r.add("PUT", "/api/clusters/{clusterID}/backup", ApplianceRole.ADMIN, this::backup)
        .add("PUT", "/api/cluster/restore", ApplianceRole.ADMIN, this::restore)
        .add("GET", "/api/cluster/restore", ApplianceRole.MONITOR, this::restoreStatus)
        .add("GET", "/users/{userId}/files", ApplianceRole.MONITOR, this::listFiles)
        .add("GET", "/users/{userId}/files/{fileId}", ApplianceRole.MONITOR, this::download)
        .add("DELETE", "/users/{userId}/files/{fileId}", ApplianceRole.MONITOR, this::deleteFile);
  }

  /** Stops the schedule's and restores' threads. */
  void close() {
    ticks.shutdownNow();
    restores.shutdownNow();
  }

  private void tick() {
    try {
      if (api.state.running() && api.appliance.cluster().isPresent()) {
        schedule.tick().ifPresent(name -> LOG.info("scheduled backup {} written", name));
      }
    } catch (RuntimeException e) {
      LOG.warn("a scheduled backup failed: {}", e.getMessage());
    }
  }

  private String memberId() {
    ClusterNode node = api.member.node();
    if (node != null) {
      return node.memberId();
    }
    return api.state.member(api.requireCluster()).memberId;
  }

  private boolean isPrimary() {
    ClusterNode node = api.member.node();
    if (node != null) {
      return node.isPrimary();
    }
    return api.appliance.cluster().map(c -> api.state.member(c).primary).orElse(false);
  }

  // ------------------------------------------------------------------ backup

  private void backup(AdminCall call) throws IOException {
    BackupRequest b = call.body(BackupRequest.class);
    String action = required(b.action(), "action");
    api.requireRunning();
    ClusterRecord c = api.requireCluster(call.param("clusterID"));
    switch (action) {
      case "run":
        only(b, "run", true, true, false, false);
        call.x.ok(run(c, b.filename(), password(b.password())));
        return;
      case "config":
        only(b, "config", true, false, true, true);
        call.x.ok(schedule.configure(b.filename(), b.total(), b.time()));
        return;
      case "enable":
        only(b, "enable", false, true, false, false);
        String pw = password(b.password());
        requirePrimaryAndAuthorized(c);
        call.x.ok(schedule.enable(pw));
        return;
      case "disable":
        only(b, "disable", false, false, false, false);
        call.x.ok(schedule.disable());
        return;
      case "show":
        only(b, "show", false, false, false, false);
        call.x.ok(schedule.show());
        return;
      default:
        throw ApiError.badRequest("unknown action: use run, config, enable, disable or show");
    }
  }

  private static void only(
      BackupRequest b,
      String action,
      boolean filename,
      boolean password,
      boolean total,
      boolean time) {
    if (b.filename() != null && !filename
        || b.password() != null && !password
        || b.total() != null && !total
        || b.time() != null && !time) {
      throw ApiError.badRequest(
          "action "
              + action
              + " takes "
              + (filename || password || total || time
                  ? String.join(", ", names(filename, password, total, time))
                  : "no other field"));
    }
  }

  private static List<String> names(boolean f, boolean p, boolean n, boolean t) {
    List<String> out = new ArrayList<>();
    if (f) {
      out.add("'filename'");
    }
    if (p) {
      out.add("'password'");
    }
    if (n) {
      out.add("'total'");
    }
    if (t) {
      out.add("'time'");
    }
    return out;
  }

  private static String password(String password) {
    if (password == null) {
      throw ApiError.badRequest("missing field 'password'");
    }
    if (password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
      throw ApiError.badRequest(
          "a backup password must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
    }
    return password;
  }

  private static String filename(String filename) {
    if (filename == null) {
      throw ApiError.badRequest("missing field 'filename'");
    }
    BackupFiles.checkName(filename);
    return filename;
  }

  private BackupDone run(ClusterRecord c, String filename, String password) {
    String name = filename(filename);
    requirePrimaryAndAuthorized(c);
    if (restoreProgress.running()) {
      throw busy("a restore is running");
    }
    String now = Instant.ofEpochMilli(backup.now()).toString();
    if (!backupProgress.start(name, 0, now)) {
      throw busy("a backup is running");
    }
    try {
      ClusterBackup.Result r =
          backup.run(
              BACKUP_USER,
              name,
              api.appliance.boundary().smkFingerprint(),
              (salt, logN, rr, p) ->
                  api.appliance.boundary().backupCipher(password, salt, logN, rr, p),
              backupProgress);
      backupProgress.end(true, Instant.ofEpochMilli(backup.now()).toString(), "backup written");
      LOG.info("cluster backup {} written: {} keyrings, {} bytes", name, r.keyrings(), r.bytes());
      return new BackupDone(name, r.bytes(), r.keyrings(), r.objects(), BACKUP_USER);
    } catch (RuntimeException e) {
      backupProgress.end(false, Instant.ofEpochMilli(backup.now()).toString(), message(e));
      throw e;
    }
  }

  private static String message(RuntimeException e) {
    return e instanceof HsmException h ? h.detail() : "the backup failed";
  }

  private static ApiError busy(String what) {
    return ApiError.conflict(ResultCode.CKR_OPERATION_ACTIVE, what + ": try again when it ends");
  }

  /** Refuses unless this member is the primary and authorized (the guide's prerequisites). */
  private void requirePrimaryAndAuthorized(ClusterRecord c) {
    if (!isPrimary()) {
      ClusterNode node = api.member.node();
      String primary =
          node == null
              ? "another member"
              : node.membership()
                  .member(node.membership().primaryId())
                  .map(Membership.Entry::name)
                  .orElse("another member");
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "backup and restore run on the primary member only: this is "
              + api.appliance.defaultMemberName()
              + ", the primary is "
              + primary);
    }
    api.requireAuthorized(c);
  }

  // ------------------------------------------------------------------ restore

  private void restore(AdminCall call) throws IOException {
    RestoreRequest b = call.body(RestoreRequest.class);
    String name = filename(b.filename());
    String password = password(b.password());
    if (!"keyring".equals(required(b.type(), "type"))) {
      throw ApiError.badRequest("type must be keyring (the only kind of cluster restore)");
    }
    api.requireRunning();
    ClusterRecord c = api.requireCluster();
    requirePrimaryAndAuthorized(c);
    ClusterNode node = api.member.node();
    if (node != null) {
      List<String> running = new ArrayList<>();
      for (Membership.Entry e : node.membership().members()) {
        if (!e.memberId().equals(node.memberId()) && node.visible(e.memberId())) {
          running.add(e.name());
        }
      }
      if (!running.isEmpty()) {
        throw ApiError.conflict(
            ResultCode.CKR_FUNCTION_FAILED,
            "stop the cluster service on every other member before a restore (POST"
                + " /api/lunasa/services/cluster/actions/stop); still running: "
                + String.join(", ", running));
      }
    }
    Path file = files.path(BACKUP_USER, name);
    if (!Files.isRegularFile(file)) {
      throw ApiError.notFound("the admin user has no file of that name");
    }
    if (backupProgress.running()) {
      throw busy("a backup is running");
    }
    String now = Instant.ofEpochMilli(backup.now()).toString();
    if (!restoreProgress.start(name, 0, now)) {
      throw busy("a restore is running");
    }
    ClusterRestore.Prepared prepared;
    try {
      prepared =
          restore.prepare(
              file,
              (salt, logN, r, p) ->
                  api.appliance.boundary().backupCipher(password, salt, logN, r, p),
              c.id(),
              api.appliance.boundary().smkFingerprint());
    } catch (RuntimeException e) {
      restoreProgress.end(false, Instant.ofEpochMilli(backup.now()).toString(), message(e));
      throw e;
    }
    restoreProgress.total(prepared.header().keyrings());
    ClusterRestore.Writer writer =
        work -> {
          ClusterNode n = api.member.node();
          if (n == null) {
            api.appliance
                .writer()
                .write(
                    tx -> {
                      work.accept(tx);
                      return null;
                    });
          } else {
            n.writeForRestore(
                tx -> {
                  work.accept(tx);
                  return null;
                });
          }
        };
    restores.execute(
        () -> {
          try (prepared) {
            ClusterRestore.Result r = restore.apply(prepared, writer, restoreProgress);
            restoreProgress.end(
                true,
                Instant.ofEpochMilli(backup.now()).toString(),
                r.keyrings()
                    + " keyrings and "
                    + r.objects()
                    + " objects restored ("
                    + r.keyringsCreated()
                    + " keyrings created); start the other members' cluster services one at a"
                    + " time");
            LOG.info("restore of {} completed: {} keyrings", name, r.keyrings());
          } catch (RuntimeException e) {
            restoreProgress.end(false, Instant.ofEpochMilli(backup.now()).toString(), message(e));
            LOG.warn("restore of {} failed: {}", name, e.getMessage());
          }
        });
    call.x.reply(202, restoreProgress.view());
  }

  private void restoreStatus(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(restoreProgress.view());
  }

  // ------------------------------------------------------------------ files

  private String fileOwner(AdminCall call) {
    String user = call.param("userId");
    if (!call.is(ApplianceRole.ADMIN) && !user.equals(call.principal.user())) {
      throw new ApiError(
          403, ResultCode.CKR_FUNCTION_REJECTED, "a user sees only their own files (or the admin)");
    }
    return user;
  }

  private void listFiles(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(new DataList<>(files.list(fileOwner(call))));
  }

  private void download(AdminCall call) throws IOException {
    call.noBody();
    String user = fileOwner(call);
    Path p = files.path(user, call.param("fileId"));
    if (!Files.isRegularFile(p)) {
      throw ApiError.notFound("no such file");
    }
    byte[] bytes = Files.readAllBytes(p);
    call.x.response.setStatus(200);
    call.x.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
    call.x.response.write(true, ByteBuffer.wrap(bytes), call.x.callback);
  }

  private void deleteFile(AdminCall call) throws IOException {
    call.noBody();
    String user = fileOwner(call);
    if (!files.delete(user, call.param("fileId"))) {
      throw ApiError.notFound("no such file");
    }
    call.x.noContent();
  }
}
