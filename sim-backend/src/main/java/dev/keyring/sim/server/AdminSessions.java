package dev.keyring.sim.server;

import dev.keyring.protocol.time.Ticker;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Cookie sessions of the admin API: a random 128-bit id (hex) per login, bound to one user,
 * expiring after an idle period (10 minutes by default; every use restarts it). Ids are kept only
 * as SHA-256 hashes, so a lookup's timing says nothing about stored ids. At most {@value
 * #MAX_SESSIONS} sessions: a new one beyond that ends the least recently used.
 */
final class AdminSessions {
  static final String COOKIE = "KEYRING_SESSION";
  static final Duration DEFAULT_IDLE = Duration.ofMinutes(10);
  static final int MAX_SESSIONS = 1024;

  private final long idleNanos;
  private final Ticker ticker;
  private final SecureRandom random = new SecureRandom();

  /** Access-ordered: the first entry is the least recently used. */
  private final LinkedHashMap<String, Entry> byHash = new LinkedHashMap<>(16, 0.75f, true);

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
    while (byHash.size() >= MAX_SESSIONS) {
      Iterator<Map.Entry<String, Entry>> it = byHash.entrySet().iterator();
      it.next();
      it.remove();
    }
    byte[] raw = new byte[16];
    random.nextBytes(raw);
    String id = HexFormat.of().formatHex(raw);
    byHash.put(hash(id), new Entry(user, now));
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
      return Optional.empty();
    }
    e.lastUsedNanos = now;
    return Optional.of(e.user);
  }

  /** Ends a session; false when there was none. */
  synchronized boolean close(String id) {
    return id != null && byHash.remove(hash(id)) != null;
  }

  /** Ends every session of {@code user} (password changed, user deleted). */
  synchronized void closeUser(String user) {
    byHash.values().removeIf(e -> e.user.equals(user));
  }

  synchronized int size() {
    return byHash.size();
  }

  private void sweep(long now) {
    byHash.values().removeIf(e -> now - e.lastUsedNanos > idleNanos);
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
