package dev.keyring.client.ha;

import dev.keyring.client.config.HaLogSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/**
 * The HA log ({@code haLogStatus}, {@code HALogPath}, {@code haLogToStdout}, {@code logLen}): one
 * line per event of a group: a member down, a member recovered, a synchronization with its counts,
 * a conflicting version found by either, a replication that failed, standby members taking over.
 * Lines name members by serial number and label and objects by id; they carry no key material and
 * no password.
 *
 * <p>A file that would grow past {@code logLen} is renamed {@code haErrorLog.txt.1} (replacing the
 * older one) and a new one begun. A log that cannot be written does not stop the group: the failure
 * goes to {@link System.Logger} once.
 */
final class HaLog {
  private static final System.Logger LOG = System.getLogger(HaLog.class.getName());

  /** Every HA log file is written under this lock: groups of one process may share a file. */
  private static final Object FILES = new Object();

  private final HaLogSettings settings;
  private final String group;
  private final PrintStream stdout;
  private final Clock clock;
  private volatile boolean failed;

  HaLog(HaLogSettings settings, String group, PrintStream stdout, Clock clock) {
    this.settings = settings;
    this.group = group;
    this.stdout = stdout;
    this.clock = clock;
  }

  HaLog(HaLogSettings settings, String group) {
    this(settings, group, System.out, Clock.systemUTC());
  }

  void memberDown(HaMember m, String reason) {
    write("member " + m.describe() + " is down, taken out of rotation: " + reason);
  }

  void memberRecovered(HaMember m, int cloned, int conflicts) {
    write(
        "member "
            + m.describe()
            + " recovered, "
            + cloned
            + " objects cloned to it"
            + (conflicts == 0
                ? ""
                : ", "
                    + conflicts
                    + " conflicting versions (passed over on the members that differ)"));
  }

  void recoveryConflict(HaMember m, String line) {
    write("conflicting versions found recovering member " + m.describe() + ": " + line);
  }

  void synchronizedGroup(int members, int cloned, int conflicts) {
    write(
        "synchronized "
            + members
            + " members: "
            + cloned
            + " objects cloned, "
            + conflicts
            + " conflicting versions");
  }

  void conflict(String line) {
    write("conflicting versions: " + line);
  }

  void replicationFailed(UUID objectId, HaMember target, String reason) {
    write("object " + objectId + " not replicated to member " + target.describe() + ": " + reason);
  }

  void memberAdded(HaMember m, int cloned) {
    write(
        "member "
            + m.describe()
            + " added from the configuration file, "
            + cloned
            + " objects cloned to it before it entered rotation");
  }

  void memberAddedDown(HaMember m, String reason) {
    write(
        "member "
            + m.describe()
            + " added from the configuration file but cannot be brought in sync yet ("
            + reason
            + "): it stays out of rotation until it is recovered");
  }

  void memberRemoved(HaMember m) {
    write("member " + m.describe() + " removed from the configuration file, out of rotation");
  }

  void standbyChanged(HaMember m) {
    write(
        "member "
            + m.describe()
            + (m.standby ? " is standby" : " is active")
            + " from the configuration file");
  }

  void configurationKept(String reason) {
    write(reason + "; the group keeps its members");
  }

  void standbyServing(List<HaMember> standby) {
    StringBuilder b = new StringBuilder();
    for (HaMember m : standby) {
      b.append(b.length() == 0 ? "" : ", ").append(m.describe());
    }
    write("every active member is down: standby members serve (" + b + ")");
  }

  private void write(String event) {
    if (!settings.writes()) {
      return;
    }
    String line =
        Instant.now(clock).truncatedTo(ChronoUnit.MILLIS)
            + " HA group "
            + group
            + ": "
            + event.replace('\r', ' ').replace('\n', ' ')
            + System.lineSeparator();
    if (settings.toStdout()) {
      stdout.print(line);
      stdout.flush();
    }
    if (settings.file().isPresent()) {
      append(settings.file().get(), line.getBytes(StandardCharsets.UTF_8));
    }
  }

  private void append(Path file, byte[] line) {
    synchronized (FILES) {
      try {
        if (Files.exists(file) && Files.size(file) + line.length > settings.maxLength()) {
          Path old = file.resolveSibling(file.getFileName() + ".1");
          Files.move(file, old, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out =
            Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
          out.write(line);
        }
        failed = false;
      } catch (IOException | RuntimeException e) {
        if (!failed) {
          failed = true;
          LOG.log(
              System.Logger.Level.WARNING,
              "HA group " + group + ": the HA log " + file + " cannot be written: " + e);
        }
      }
    }
  }
}
