package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.HaSettings;
import dev.keyring.protocol.HsmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings HA group members that went down back into rotation: on demand ({@link #recoverNow()}, the
 * {@code hagroup recover} command) and, while the group is logged in, in the background every
 * {@code AutoReconnectInterval} seconds (default 60), up to {@code reconnAtt} attempts per member
 * ({@code -1}, the default, for no limit; {@code 0} turns auto-recovery off). A member that comes
 * back is logged in again and given every object, deletion and change it missed before it serves;
 * the objects it held already are compared with the other members' versions ({@link HaVersions}). A
 * conflict is reported and overwrites nothing; the member still returns to rotation, passing over
 * only the objects it holds in another version than the reference member.
 */
final class HaRecovery {
  private static final System.Logger LOG = System.getLogger(HaRecovery.class.getName());

  /** The pause between background attempts when the configuration file sets none. */
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);

  private final HaGroupChannel group;
  private final Duration interval;
  private final int attempts;
  private final HaBackgroundTask task;

  HaRecovery(HaGroupChannel group, HaSettings settings) {
    this.group = group;
    this.task = new HaBackgroundTask("keyring-ha-recovery-" + group.group().label());
    this.interval = settings.autoReconnectInterval().orElse(DEFAULT_INTERVAL);
    this.attempts = settings.reconnectAttempts().orElse(-1);
  }

  /** Starts the background attempts (once logged in); nothing when auto-recovery is off. */
  void start() {
    if (attempts == 0) {
      return;
    }
    task.start(interval, this::background);
  }

  /**
   * Stops recovering. A recovery under way is let finish (bounded) rather than interrupted: one cut
   * off while it opens a session on a member would leave that session open there, unknown to the
   * group, which closes its members' sessions next.
   */
  void stop() {
    task.stop();
  }

  private void background() {
    for (HaMember m : group.members()) {
      if (!m.down || (attempts > 0 && m.failedRecoveries >= attempts)) {
        continue;
      }
      tryMember(m);
    }
  }

  /**
   * Tries every member that is down now; returns those back in rotation, the objects cloned to them
   * and the conflicting versions found.
   */
  HaRecoveryReport recoverNow() {
    List<String> back = new ArrayList<>();
    List<String> conflicts = new ArrayList<>();
    int cloned = 0;
    for (HaMember m : group.members()) {
      if (!m.down) {
        continue;
      }
      HaSynchronization r = tryMember(m);
      if (r != null) {
        back.add(m.serial);
        cloned += r.cloned();
        conflicts.addAll(r.conflicts());
      }
    }
    return new HaRecoveryReport(back, cloned, conflicts);
  }

  /** Recovers one member: what it was given, or null when it is still down. */
  private HaSynchronization tryMember(HaMember m) {
    try {
      KeyringChannel c = m.channel;
      if (c == null) {
        c = group.locator().open(m);
        m.channel = c;
        if (group.role() != null) {
          c.login(group.role(), group.password());
        }
      }
      HaSynchronization r = group.replication().catchUp(m);
      m.failedRecoveries = 0;
      LOG.log(
          System.Logger.Level.INFO,
          "HA group {0}: member {1} recovered and synchronized ({2} objects cloned to it, {3}"
              + " conflicting versions)",
          group.group().label(),
          m.describe(),
          r.cloned(),
          r.conflicts().size());
      group.log().memberRecovered(m, r.cloned(), r.conflicts().size());
      return r;
    } catch (TransportException | HsmException e) {
      m.failedRecoveries++;
      LOG.log(
          System.Logger.Level.DEBUG,
          "HA group {0}: member {1} not recovered yet: {2}",
          group.group().label(),
          m.describe(),
          e.getMessage());
      return null;
    } catch (RuntimeException e) {
      m.failedRecoveries++;
      LOG.log(
          System.Logger.Level.WARNING,
          "HA group " + group.group().label() + ": recovering member " + m.serial + " failed",
          e);
      return null;
    }
  }
}
