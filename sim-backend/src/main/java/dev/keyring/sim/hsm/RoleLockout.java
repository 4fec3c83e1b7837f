package dev.keyring.sim.hsm;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Lockout of the HSM's own roles (HSM SO, partition PO, partition CO): {@value #THRESHOLD}
 * consecutive wrong passwords lock the role for {@link #DURATION}; while locked even the right
 * password is refused (CKR_PIN_LOCKED), so guessing gets ten tries a minute at most. A right
 * password resets the count. Kept in memory: a restart ends a lock, as it does for appliance users.
 * Not thread-safe: the {@link Hsm} calls it under its own lock.
 */
final class RoleLockout {
  static final int THRESHOLD = 10;
  static final Duration DURATION = Duration.ofSeconds(60);

  /** The roles with a password of the HSM's own. */
  enum Role {
    SO("HSM SO"),
    PO("partition PO"),
    CO("partition CO");

    private final String title;

    Role(String title) {
      this.title = title;
    }
  }

  private static final class Count {
    int consecutive;
    long lockedUntilNanos;
    boolean locked;
  }

  private final Ticker ticker;
  private final Map<Role, Count> counts = new EnumMap<>(Role.class);

  RoleLockout(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Refuses at once while {@code role} is locked. */
  void requireUnlocked(Role role) {
    Count c = counts.get(role);
    if (c == null || !c.locked) {
      return;
    }
    long left = c.lockedUntilNanos - ticker.nanoTime();
    if (left <= 0) {
      counts.remove(role);
      return;
    }
    throw new HsmException(
        ResultCode.CKR_PIN_LOCKED,
        "the "
            + role.title
            + " is locked after "
            + THRESHOLD
            + " wrong passwords in a row; try again in "
            + Math.max(1, Duration.ofNanos(left).toSeconds())
            + " s");
  }

  /** A wrong password for {@code role}: counted, and the role locked at the threshold. */
  void failed(Role role) {
    Count c = counts.computeIfAbsent(role, r -> new Count());
    c.consecutive++;
    if (c.consecutive >= THRESHOLD) {
      c.locked = true;
      c.lockedUntilNanos = ticker.nanoTime() + DURATION.toNanos();
    }
  }

  /** A right password for {@code role}: the count starts again. */
  void succeeded(Role role) {
    counts.remove(role);
  }
}
