package dev.keyring.sim.server;

import dev.keyring.protocol.time.Ticker;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Cookie sessions of the admin API: a random 128-bit id (hex) per login, bound to one user,
 * expiring after an idle period (10 minutes by default; every use restarts it). Ids are kept only
 * as SHA-256 hashes, so a lookup's timing says nothing about stored ids. Each user may hold at most
 * {@value #MAX_SESSIONS_PER_USER} sessions: a login beyond that ends the least recently used
 * session <em>of that user</em>, so one user's logins never end another's. The total is bounded by
 * the number of users (at most {@link ApplianceUsers#MAX_USERS}) times that.
 */
final class AdminSessions {
  static final String COOKIE = "KEYRING_SESSION";
  static final Duration DEFAULT_IDLE = Duration.ofMinutes(10);
  static final int MAX_SESSIONS_PER_USER = 32;

  private final long idleNanos;
  private final Ticker ticker;
  private final SecureRandom random = new SecureRandom();

  /** Access-ordered: the first entry is the least recently used. */
  private final LinkedHashMap<String, Entry> byHash = new LinkedHashMap<>(16, 0.75f, true);

  /** Sessions per user. */
  private final Map<String, Integer> perUser = new HashMap<>();

  private static final class Entry {
    final String user;
    long lastUsedNanos;

    Entry(String user, long now) {
      this.user = user;
      this.lastUsedNanos = now;
    }
  }

  AdminSessions(Duration idle, Ticker ticker) {
    this.idleNanos = idle.toNanos();
    this.ticker = ticker;
  }

  /** Opens a session for {@code user}; returns its id, the cookie value. */
  synchronized String open(String user) {
    long now = ticker.nanoTime();
    sweep(now);
    if (perUser.getOrDefault(user, 0) >= MAX_SESSIONS_PER_USER) {
      // the user's least recently used session goes; nobody else's
      Iterator<Entry> it = byHash.values().iterator();
      while (it.hasNext()) {
        Entry e = it.next();
        if (e.user.equals(user)) {
          it.remove();
          forget(e);
          break;
        }
      }
    }
    byte[] raw = new byte[16];
    random.nextBytes(raw);
    String id = HexFormat.of().formatHex(raw);
    byHash.put(hash(id), new Entry(user, now));
    perUser.merge(user, 1, Integer::sum);
    return id;
  }

  /** The user of a live session, touching it; empty when unknown or expired. */
  synchronized Optional<String> user(String id) {
    if (id == null || id.length() != 32) {
      return Optional.empty();
    }
    String h = hash(id);
    Entry e = byHash.get(h);
    if (e == null) {
      return Optional.empty();
    }
    long now = ticker.nanoTime();
    if (now - e.lastUsedNanos > idleNanos) {
      byHash.remove(h);
      forget(e);
      return Optional.empty();
    }
    e.lastUsedNanos = now;
    return Optional.of(e.user);
  }

  /** Ends a session; false when there was none. */
  synchronized boolean close(String id) {
    Entry e = id == null ? null : byHash.remove(hash(id));
    if (e == null) {
      return false;
    }
    forget(e);
    return true;
  }

  /** Ends every session of {@code user} (password changed, user deleted). */
  synchronized void closeUser(String user) {
    byHash.values().removeIf(e -> e.user.equals(user));
    perUser.remove(user);
  }

  /** Sessions {@code user} holds. */
  synchronized int count(String user) {
    return perUser.getOrDefault(user, 0);
  }

  synchronized int size() {
    return byHash.size();
  }

  private void sweep(long now) {
    Iterator<Entry> it = byHash.values().iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      if (now - e.lastUsedNanos > idleNanos) {
        it.remove();
        forget(e);
      }
    }
  }

  private void forget(Entry e) {
    perUser.computeIfPresent(e.user, (u, n) -> n > 1 ? n - 1 : null);
  }

  private static String hash(String id) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
