package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed password checks of appliance users, counted per user <em>and source address</em>, so that
 * one source guessing (or locking out on purpose) cannot lock a user out for everyone:
 *
 * <ul>
 *   <li>{@value #THRESHOLD} consecutive wrong passwords for a user from one source lock that user
 *       <em>from that source</em> for {@link #DURATION}: every attempt from there, right or wrong,
 *       is refused (HTTP 429 with {@code Retry-After}); a right password from that source resets
 *       its count;
 *   <li>a global bound: {@value #GLOBAL_LIMIT} wrong passwords for one user, from all sources
 *       together, within {@link #DURATION} of the first of them lock that user from every source
 *       until that window ends, so that guessing spread over many sources stays bounded too.
 * </ul>
 *
 * Every password check counts: logins, HTTP Basic credentials on any call, and the current password
 * a user gives to change its own. Counters live in memory (they restart with the member) and each
 * member counts its own; once the member is in a cluster, each failure is also counted in the
 * cluster's replicated state ({@link SharedLockouts}), and a lock of either kind is enforced. At
 * most {@value #MAX_TRACKED} (user, source) pairs are tracked; beyond that, pairs that are not
 * locked are forgotten. Guarded by the caller's lock.
 */
final class AdminLockout {
  static final int THRESHOLD = 10;
  static final int GLOBAL_LIMIT = 100;
  static final Duration DURATION = Duration.ofSeconds(60);
  static final int MAX_TRACKED = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(AdminLockout.class);

  private static final class Failures {
    int consecutive;
    long lockedUntilNanos;
    boolean locked;
  }

  private static final class Window {
    long startNanos;
    int failures;
  }

  private final Ticker ticker;
  private final Map<String, Failures> bySource = new HashMap<>();
  private final Map<String, Window> byUser = new HashMap<>();
  private SharedLockouts shared;

  AdminLockout(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Counts in the cluster's state too from now on (this member is in a cluster). */
  void share(SharedLockouts cluster) {
    this.shared = cluster;
  }

  /** Refuses (429) when {@code user} is locked from {@code source} or from everywhere. */
  void requireNotLocked(String user, String source) {
    if (user == null) {
      return;
    }
    long now = ticker.nanoTime();
    Window w = byUser.get(user);
    if (w != null && now - w.startNanos >= DURATION.toNanos()) {
      byUser.remove(user);
      w = null;
    }
    if (w != null && w.failures >= GLOBAL_LIMIT) {
      throw locked(user, w.startNanos + DURATION.toNanos() - now, true);
    }
    Failures f = bySource.get(key(user, source));
    if (f != null && f.locked) {
      long left = f.lockedUntilNanos - now;
      if (left > 0) {
        throw locked(user, left, false);
      }
      f.locked = false;
      f.consecutive = 0;
    }
    if (shared != null) {
      shared
          .lock(user, source)
          .ifPresent(
              l -> {
                throw locked(user, l.millisLeft() * 1_000_000L, l.everywhere());
              });
    }
  }

  /**
   * Counts a wrong password for {@code user} from {@code source}; throws 429 when this one locks it
   * (from that source, or from everywhere), else returns.
   */
  void failed(String user, String source) {
    if (shared != null) {
      shared.failed(user, source);
    }
    long now = ticker.nanoTime();
    Window w = byUser.computeIfAbsent(user, u -> new Window());
    if (w.failures == 0 || now - w.startNanos >= DURATION.toNanos()) {
      w.startNanos = now;
      w.failures = 0;
    }
    w.failures++;
    if (bySource.size() >= MAX_TRACKED) {
      bySource.values().removeIf(f -> !f.locked || f.lockedUntilNanos - now <= 0);
    }
    Failures f = bySource.computeIfAbsent(key(user, source), k -> new Failures());
    f.consecutive++;
    if (f.consecutive >= THRESHOLD) {
      f.consecutive = 0;
      f.locked = true;
      f.lockedUntilNanos = now + DURATION.toNanos();
      LOG.warn(
          "appliance user '{}' locked for {} s from {} after {} consecutive failed password checks",
          user,
          DURATION.toSeconds(),
          source,
          THRESHOLD);
      throw locked(user, DURATION.toNanos(), false);
    }
    if (w.failures == GLOBAL_LIMIT) {
      LOG.warn(
          "appliance user '{}' locked from every source until {} s after its first of {} failed"
              + " password checks",
          user,
          DURATION.toSeconds(),
          GLOBAL_LIMIT);
      throw locked(user, w.startNanos + DURATION.toNanos() - now, true);
    }
  }

  /** A right password for {@code user} from {@code source}: that source's count starts again. */
  void succeeded(String user, String source) {
    bySource.remove(key(user, source));
    if (shared != null) {
      shared.succeeded(user, source);
    }
  }

  /** Forgets every count of {@code user} (its password was set, or it was deleted). */
  void forget(String user) {
    bySource.keySet().removeIf(k -> k.startsWith(user + "\n"));
    byUser.remove(user);
    if (shared != null) {
      shared.forget(user);
    }
  }

  /** Forgets every count. */
  void clear() {
    bySource.clear();
    byUser.clear();
  }

  private static String key(String user, String source) {
    return user + "\n" + (source == null ? "" : source);
  }

  private static ApiError locked(String user, long nanosLeft, boolean everywhere) {
    long seconds = Math.max(1, (nanosLeft + 999_999_999L) / 1_000_000_000L);
    return new ApiError(
        429,
        ResultCode.CKR_PIN_LOCKED,
        "user '"
            + user
            + "' is locked"
            + (everywhere ? "" : " from this address")
            + " for "
            + seconds
            + " more seconds after "
            + (everywhere
                ? GLOBAL_LIMIT + " failed password checks from all addresses"
                : THRESHOLD + " consecutive failed password checks"),
        Map.of("Retry-After", Long.toString(seconds)));
  }
}
