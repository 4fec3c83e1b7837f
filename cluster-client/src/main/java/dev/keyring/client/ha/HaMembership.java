package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.protocol.HsmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Keeps an open HA group's members in step with the client configuration file while the application
 * runs: {@code hagroup addmember}, {@code removemember}, {@code addstandby} and {@code
 * removestandby} rewrite the file, and the group follows without being opened again.
 *
 * <p>While the group is logged in, a task of its own looks at the file once a second ({@link
 * #CHECK_INTERVAL}); only when its modification time, size or identity (an atomic rewrite replaces
 * the file) changed is it read again. Then, for the group's label:
 *
 * <ul>
 *   <li>a member no longer listed leaves rotation at once; a call already under way on it finishes
 *       there, and its session is kept for {@link #RETIRED_GRACE} so that a multi-part operation
 *       started on it may finish, then closed;
 *   <li>a new member is found, its session opened and logged in, every object of the group cloned
 *       to it (as recovery does) and only then is it put in rotation, with no write in between; one
 *       that cannot be reached yet enters as down and is recovered like any member that is down;
 *   <li>a member made standby or active again changes role at once.
 * </ul>
 *
 * <p>A file that cannot be read or is not valid, or that no longer has the group, changes nothing:
 * the group keeps its members and says so in one HA log line. Other settings (recovery interval and
 * attempts, HA log) are read when the group is opened.
 */
final class HaMembership {
  private static final System.Logger LOG = System.getLogger(HaMembership.class.getName());

  /** How often the file is looked at while the group is logged in. */
  static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  /** How long a removed member's session stays open for the operations under way on it. */
  static final Duration RETIRED_GRACE = Duration.ofSeconds(60);

  /** What identifies a version of the file: a change to any of these makes it read again. */
  private record FileState(long modified, long size, String key, boolean readable, String error) {}

  private record Retired(HaMember member, long at) {}

  private final HaGroupChannel group;
  private final Path file;
  private final List<Retired> retired = new ArrayList<>();
  private FileState seen;
  private final HaBackgroundTask task;

  HaMembership(HaGroupChannel group, Path file) {
    this.group = group;
    this.task = new HaBackgroundTask("keyring-ha-members-" + group.group().label());
    this.file = file;
    this.seen = null; // read at the first check: it may have changed since the group was opened
  }

  /** Starts looking at the file (once logged in); nothing when the group follows no file. */
  void start() {
    if (file == null) {
      return;
    }
    task.start(CHECK_INTERVAL, this::background);
  }

  /** Stops looking; a change being applied is let finish (bounded), as recovery does. */
  void stop() {
    task.stop();
  }

  private void background() {
    try {
      check();
      closeRetired(System.nanoTime() - RETIRED_GRACE.toNanos());
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "HA group " + group.group().label() + ": following the configuration file failed",
          e);
    }
  }

  /**
   * Reads the file again if it changed since it was last read, and applies the group's new members.
   * Returns whether the members or their roles changed.
   */
  synchronized boolean check() {
    if (file == null) {
      return false;
    }
    FileState now = state();
    if (now.equals(seen)) {
      return false;
    }
    seen = now;
    String label = group.group().label();
    if (now.error() != null) {
      kept("the client configuration file " + file + " cannot be read (" + now.error() + ")");
      return false;
    }
    HaGroupEntry next;
    try {
      next = ClientConfig.read(file).haGroup(label).orElse(null);
    } catch (IOException | RuntimeException e) {
      kept(
          "the client configuration file "
              + file
              + " cannot be read or is not valid ("
              + e.getMessage()
              + ")");
      return false;
    }
    if (next == null) {
      kept("the client configuration file " + file + " no longer has this group");
      return false;
    }
    return apply(next);
  }

  private void kept(String reason) {
    LOG.log(
        System.Logger.Level.WARNING,
        "HA group {0}: {1}; the group keeps its members",
        group.group().label(),
        reason);
    group.log().configurationKept(reason);
  }

  /** Makes the group's members those of {@code next}; returns whether anything changed. */
  boolean apply(HaGroupEntry next) {
    Map<String, HaMember> present = new HashMap<>();
    for (HaMember m : group.members()) {
      present.put(m.serial, m);
    }
    List<HaMember> removed = new ArrayList<>();
    List<HaMember> roles = new ArrayList<>();
    for (HaMember m : group.members()) {
      if (!next.memberSerials().contains(m.serial)) {
        removed.add(m);
      } else if (m.standby != next.standbySerials().contains(m.serial)) {
        roles.add(m);
      }
    }
    boolean changed = !removed.isEmpty() || !roles.isEmpty();
    group
        .replication()
        .exclusively(
            () -> {
              removed.forEach(m -> present.remove(m.serial));
              roles.forEach(m -> m.standby = !m.standby);
              group.changeMembers(next, ordered(next, present));
            });
    long now = System.nanoTime();
    for (HaMember m : removed) {
      synchronized (retired) {
        retired.add(new Retired(m, now));
      }
      LOG.log(
          System.Logger.Level.INFO,
          "HA group {0}: member {1} removed, out of rotation",
          next.label(),
          m.describe());
      group.log().memberRemoved(m);
    }
    roles.forEach(m -> group.log().standbyChanged(m));
    for (String serial : next.memberSerials()) {
      if (!present.containsKey(serial)) {
        HaMember m = new HaMember(serial);
        m.standby = next.standbySerials().contains(serial);
        add(next, present, m);
        changed = true;
      }
    }
    return changed;
  }

  /** Opens, logs in and synchronizes a new member, then puts it in rotation. */
  private void add(HaGroupEntry next, Map<String, HaMember> present, HaMember m) {
    try {
      KeyringChannel c = group.locator().open(m);
      m.channel = c;
      if (group.role() != null) {
        c.login(group.role(), group.password());
      }
      int cloned =
          group
              .replication()
              .admit(
                  m,
                  () -> {
                    present.put(m.serial, m);
                    group.changeMembers(next, ordered(next, present));
                  });
      LOG.log(
          System.Logger.Level.INFO,
          "HA group {0}: member {1} added, {2} objects cloned to it",
          next.label(),
          m.describe(),
          cloned);
      group.log().memberAdded(m, cloned);
    } catch (TransportException | HsmException e) {
      KeyringChannel c = m.channel;
      m.channel = null; // recovery opens and logs in a new one
      if (c != null) {
        try {
          c.close();
        } catch (TransportException | RuntimeException ignored) {
          // the member is out of reach: its session goes with it
        }
      }
      m.down = true;
      m.needsSync = true;
      group
          .replication()
          .exclusively(
              () -> {
                present.put(m.serial, m);
                group.changeMembers(next, ordered(next, present));
              });
      LOG.log(
          System.Logger.Level.WARNING,
          "HA group {0}: member {1} added but not in sync yet: {2}",
          next.label(),
          m.describe(),
          e.getMessage());
      group.log().memberAddedDown(m, e.getMessage());
    }
  }

  private static List<HaMember> ordered(HaGroupEntry next, Map<String, HaMember> present) {
    List<HaMember> out = new ArrayList<>();
    for (String serial : next.memberSerials()) {
      HaMember m = present.get(serial);
      if (m != null) {
        out.add(m);
      }
    }
    return out;
  }

  /** Closes the sessions of members removed before {@code before} (System.nanoTime). */
  private void closeRetired(long before) {
    List<HaMember> due = new ArrayList<>();
    synchronized (retired) {
      retired.removeIf(
          r -> {
            if (r.at() - before <= 0) {
              due.add(r.member());
              return true;
            }
            return false;
          });
    }
    close(due);
  }

  /** Hands over every removed member not closed yet, for the group to close with its own. */
  List<HaMember> closeRetired() {
    List<HaMember> all = new ArrayList<>();
    synchronized (retired) {
      retired.forEach(r -> all.add(r.member()));
      retired.clear();
    }
    return all;
  }

  private static void close(List<HaMember> members) {
    for (HaMember m : members) {
      KeyringChannel c = m.channel;
      if (c != null) {
        try {
          c.close();
        } catch (TransportException | RuntimeException e) {
          // the member is gone: its sessions go with it
        }
      }
    }
  }

  private FileState state() {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      boolean readable = Files.isReadable(file);
      return new FileState(
          a.lastModifiedTime().toMillis(),
          a.size(),
          Objects.toString(a.fileKey(), ""),
          readable,
          readable ? null : "not readable by this process");
    } catch (IOException e) {
      return new FileState(-1, -1, "", false, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
