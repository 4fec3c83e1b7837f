package dev.keyring.sim.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ReplicatedWriter;
import java.io.IOException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scheduled cluster backups: once a week at {@code d:hh:mm} (0 = Sunday; UTC), a backup into the
 * admin user's files named {@code <filename>_<yyyyMMdd-HHmm>}, keeping the newest {@code total} (1
 * to 15) of them.
 *
 * <p>The configuration (filename prefix, total, time, enabled, and which member enabled it) is a
 * replicated cluster value, so every member knows it and it survives restarts. The password is kept
 * only by the member that enabled the schedule, sealed under its HSM's device key in its own HSM
 * state: it never appears in plaintext on disk or in the replicated state. Backups run only on that
 * member, and only while it is the primary. After a promotion the old primary stops, and the new
 * one reports that the schedule must be disabled and enabled again (the administration guide's
 * rule); enabling it there seals the password on the new primary, with the configuration kept.
 */
public final class BackupSchedule {
  /** The replicated configuration's name. */
  public static final String CONFIG_KEY = "cluster.backup.schedule";

  /** This member's sealed password and last run (member-local HSM state). */
  static final String PASSWORD_KEY = "cluster.backup.password";

  static final String LAST_RUN_KEY = "cluster.backup.lastRun";
  private static final String SEAL_LABEL = "cluster backup schedule password";

  /** At most this many characters in a prefix: the suffix {@code _yyyyMMdd-HHmm} makes 64. */
  public static final int MAX_PREFIX = 50;

  private static final Pattern TIME = Pattern.compile("([0-6]):([0-9]{2}):([0-9]{2})");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmm").withZone(ZoneOffset.UTC);
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The replicated configuration (Jackson bean). */
  public static final class Config {
    public String filename;
    public int total;
    public String time;
    public boolean enabled;
    public String enabledBy;
  }

  /** What {@code show} reports. */
  public record View(
      String filename,
      Integer total,
      String time,
      boolean enabled,
      String enabledBy,
      boolean runsHere,
      String nextRun,
      String note) {}

  private final KeyringStore store;
  private final ReplicatedWriter writer;
  private final Boundary boundary;
  private final BackupFiles files;
  private final ClusterBackup backup;
  private final Supplier<String> memberId;
  private final BooleanSupplier primary;
  private final BackupProgress progress;
  private final String user;

  public BackupSchedule(
      KeyringStore store,
      ReplicatedWriter writer,
      Boundary boundary,
      BackupFiles files,
      ClusterBackup backup,
      Supplier<String> memberId,
      BooleanSupplier primary,
      BackupProgress progress,
      String user) {
    this.store = store;
    this.writer = writer;
    this.boundary = boundary;
    this.files = files;
    this.backup = backup;
    this.memberId = memberId;
    this.primary = primary;
    this.progress = progress;
    this.user = user;
  }

  /** The replicated configuration, if one was set. */
  public Optional<Config> config() {
    Optional<byte[]> raw = store.clusterValue(CONFIG_KEY);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(raw.get(), Config.class));
    } catch (IOException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "the stored backup schedule is damaged");
    }
  }

  private void save(Config c) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(c);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    writer.write(
        tx -> {
          tx.putClusterValue(CONFIG_KEY, bytes);
          return null;
        });
  }

  /**
   * Sets the schedule. Refused while it is enabled (disable first), for a prefix that is not 1 to
   * {@value #MAX_PREFIX} characters of the file name set, a total outside 1 to 15, or a time not
   * {@code d:hh:mm} with d 0 to 6, hh 00 to 23, mm 00 to 59.
   */
  public View configure(String filename, Integer total, String time) {
    checkPrefix(filename);
    if (total == null || total < 1 || total > 15) {
      throw bad("total must be 1 to 15 (how many scheduled backups are kept)");
    }
    parseTime(time);
    Optional<Config> current = config();
    if (current.isPresent() && current.get().enabled) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "scheduled backups are enabled: disable them before changing the schedule");
    }
    Config c = new Config();
    c.filename = filename;
    c.total = total;
    c.time = time;
    save(c);
    return show();
  }

  /** Enables the schedule with the password of its backups (sealed on this member). */
  public View enable(String password) {
    Config c =
        config()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_FUNCTION_FAILED,
                        "there is no backup schedule: configure one first (action config)"));
    if (c.enabled) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "scheduled backups are enabled already"
              + (memberId.get().equals(c.enabledBy)
                  ? ""
                  : " on another member: after a promotion, disable and enable them on the new"
                      + " primary"));
    }
    if (!primary.getAsBoolean()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "scheduled backups are enabled on the primary only");
    }
    byte[] sealed = boundary.sealBackupPassword(SEAL_LABEL, password);
    long now = backup.now();
    store.write(
        tx -> {
          tx.putHsmState(PASSWORD_KEY, sealed);
          tx.putHsmState(
              LAST_RUN_KEY,
              Long.toString(now).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          return null;
        });
    c.enabled = true;
    c.enabledBy = memberId.get();
    save(c);
    return show();
  }

  /** Disables the schedule (the configuration stays); forgets this member's sealed password. */
  public View disable() {
    Optional<Config> c = config();
    if (c.isPresent() && c.get().enabled) {
      Config next = c.get();
      next.enabled = false;
      next.enabledBy = null;
      save(next);
    }
    store.write(
        tx -> {
          tx.deleteHsmState(PASSWORD_KEY);
          return null;
        });
    return show();
  }

  /** The schedule as this member sees it. */
  public View show() {
    Optional<Config> c = config();
    if (c.isEmpty()) {
      return new View(null, null, null, false, null, false, null, "no backup schedule is set");
    }
    Config k = c.get();
    boolean mine = k.enabled && memberId.get().equals(k.enabledBy);
    boolean runs = mine && primary.getAsBoolean() && store.hsmState(PASSWORD_KEY).isPresent();
    String note = null;
    if (k.enabled && !mine) {
      note =
          primary.getAsBoolean()
              ? "scheduled backups were enabled on member "
                  + k.enabledBy
                  + ", which is no longer the primary: disable and enable them here (the schedule"
                  + " is kept)"
              : "scheduled backups run on member " + k.enabledBy;
    } else if (mine && !primary.getAsBoolean()) {
      note = "this member is no longer the primary: its scheduled backups stopped";
    }
    String next = runs ? Instant.ofEpochMilli(nextRun(k, lastRun())).toString() : null;
    return new View(k.filename, k.total, k.time, k.enabled, k.enabledBy, runs, next, note);
  }

  private long lastRun() {
    return store
        .hsmState(LAST_RUN_KEY)
        .map(b -> Long.parseLong(new String(b, java.nio.charset.StandardCharsets.US_ASCII)))
        .orElse(0L);
  }

  /**
   * Runs the scheduled backup when its time has come since the last run (at most one per call),
   * then deletes the oldest scheduled files beyond the total.
   *
   * @return the file written, or empty when nothing was due
   */
  public Optional<String> tick() {
    Optional<Config> c = config();
    if (c.isEmpty() || !c.get().enabled || !memberId.get().equals(c.get().enabledBy)) {
      return Optional.empty();
    }
    Optional<byte[]> sealed = store.hsmState(PASSWORD_KEY);
    if (!primary.getAsBoolean() || sealed.isEmpty()) {
      return Optional.empty();
    }
    Config k = c.get();
    long now = backup.now();
    long due = nextRun(k, lastRun());
    if (due > now) {
      return Optional.empty();
    }
    String name = k.filename + "_" + STAMP.format(Instant.ofEpochMilli(due));
    if (!progress.start(name, 0, Instant.ofEpochMilli(now).toString())) {
      return Optional.empty(); // a backup or restore is running: the next tick tries again
    }
    try {
      backup.run(
          user,
          name,
          boundary.smkFingerprint(),
          (salt, logN, r, p) ->
              boundary.backupCipherFromSealedPassword(SEAL_LABEL, sealed.get(), salt, logN, r, p),
          progress);
      progress.end(true, Instant.ofEpochMilli(backup.now()).toString(), "scheduled backup " + name);
    } catch (RuntimeException e) {
      progress.end(false, Instant.ofEpochMilli(backup.now()).toString(), e.getMessage());
      throw e;
    }
    store.write(
        tx -> {
          tx.putHsmState(
              LAST_RUN_KEY,
              Long.toString(due).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          return null;
        });
    rotate(k);
    return Optional.of(name);
  }

  private void rotate(Config k) {
    Pattern mine = Pattern.compile(Pattern.quote(k.filename) + "_[0-9]{8}-[0-9]{4}");
    List<String> names = new ArrayList<>();
    for (BackupFiles.FileInfo f : files.list(user)) {
      if (mine.matcher(f.name()).matches()) {
        names.add(f.name());
      }
    }
    names.sort(null); // the stamp sorts by time
    for (int i = 0; i < names.size() - k.total; i++) {
      files.delete(user, names.get(i));
    }
  }

  /** The first scheduled time strictly after {@code after} (ms since the epoch, UTC). */
  static long nextRun(Config k, long after) {
    int[] t = parseTime(k.time);
    ZonedDateTime from = Instant.ofEpochMilli(after).atZone(ZoneOffset.UTC);
    DayOfWeek day = t[0] == 0 ? DayOfWeek.SUNDAY : DayOfWeek.of(t[0]);
    ZonedDateTime at =
        from.with(TemporalAdjusters.nextOrSame(day))
            .withHour(t[1])
            .withMinute(t[2])
            .truncatedTo(ChronoUnit.MINUTES);
    if (!at.isAfter(from)) {
      at = at.plusWeeks(1);
    }
    return at.toInstant().toEpochMilli();
  }

  /** The day (0 = Sunday), hour and minute of a {@code d:hh:mm} time, or a refusal. */
  public static int[] parseTime(String time) {
    Matcher m = time == null ? null : TIME.matcher(time);
    if (m == null || !m.matches()) {
      throw bad(
          "time must be d:hh:mm: d the day of the week 0 to 6 (0 = Sunday), hh 00 to 23, mm 00 to"
              + " 59");
    }
    int h = Integer.parseInt(m.group(2));
    int min = Integer.parseInt(m.group(3));
    if (h > 23 || min > 59) {
      throw bad(
          "time must be d:hh:mm: d the day of the week 0 to 6 (0 = Sunday), hh 00 to 23, mm 00 to"
              + " 59");
    }
    return new int[] {Integer.parseInt(m.group(1)), h, min};
  }

  private static void checkPrefix(String prefix) {
    BackupFiles.checkName(prefix);
    if (prefix.length() > MAX_PREFIX) {
      throw bad(
          "the filename prefix of scheduled backups must be at most "
              + MAX_PREFIX
              + " characters (a '_yyyyMMdd-HHmm' suffix follows it, and a file name is at most 64)");
    }
  }

  private static HsmException bad(String message) {
    return new HsmException(ResultCode.CKR_ARGUMENTS_BAD, message);
  }
}
