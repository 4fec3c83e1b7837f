package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.keyring.KeyringSession;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The crypto API's sessions: each belongs to the client certificate that opened it and to one
 * keyring; it holds that keyring's login (if any) and its multi-part operations. Sessions idle
 * longer than the timeout (by the ticker) are closed (and logged out) by a background sweep. Logout
 * and closing a session, by the client, the sweep or the service stopping, abort its multi-part
 * operations, so what they gathered goes back to the member's {@link BufferBudget}.
 */
final class CryptoSessions implements AutoCloseable {
  static final int MAX_SESSIONS_PER_CLIENT = 256;

  private final Duration idleTimeout;
  private final Ticker ticker;
  private final ConcurrentHashMap<String, Entry> sessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final ScheduledExecutorService sweeper;

  /** One session. Its login and operations are guarded by the entry itself. */
  static final class Entry {
    final String id;
    final String owner;
    final UUID keyringId;
    final String label;
    volatile KeyringSession login;
    volatile long lastUsedNanos;
    final Map<String, MultiPartOperation> operations = new ConcurrentHashMap<>();

    Entry(String id, String owner, UUID keyringId, String label, long nowNanos) {
      this.id = id;
      this.owner = owner;
      this.keyringId = keyringId;
      this.label = label;
      this.lastUsedNanos = nowNanos;
    }

    KeyringSession requireLogin() {
      KeyringSession s = login;
      if (s == null) {
        throw new HsmException(
            ResultCode.CKR_USER_NOT_LOGGED_IN,
            "this session is not logged in: log in as the KRCO first");
      }
      return s;
    }

    synchronized void logout() {
      KeyringSession s = login;
      login = null;
      abortOperations();
      if (s != null) {
        s.close();
      }
    }

    /** Ends every multi-part operation; what they gathered goes back to the budget. */
    void abortOperations() {
      for (String id : operations.keySet()) {
        MultiPartOperation op = operations.remove(id);
        if (op != null) {
          op.abort();
        }
      }
    }
  }

  CryptoSessions(Duration idleTimeout, Ticker ticker) {
    this.idleTimeout = idleTimeout;
    this.ticker = ticker;
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keyring-session-sweeper");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(1, Math.min(30, idleTimeout.toSeconds() / 4));
    sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.SECONDS);
  }

  Entry open(String owner, UUID keyringId, String label) {
    AtomicInteger n = perClient.computeIfAbsent(owner, o -> new AtomicInteger());
    if (n.incrementAndGet() > MAX_SESSIONS_PER_CLIENT) {
      n.decrementAndGet();
      throw new HsmException(
          ResultCode.CKR_DEVICE_MEMORY,
          "this client already has " + MAX_SESSIONS_PER_CLIENT + " open sessions; close some");
    }
    byte[] raw = new byte[16];
    random.nextBytes(raw);
    Entry e = new Entry(HexFormat.of().formatHex(raw), owner, keyringId, label, ticker.nanoTime());
    sessions.put(e.id, e);
    return e;
  }

  /** The session, if it exists and belongs to {@code owner}; touching it keeps it alive. */
  Entry get(String id, String owner) {
    Entry e = sessions.get(id);
    if (e == null || !e.owner.equals(owner)) {
      throw new HsmException(
          ResultCode.CKR_SESSION_HANDLE_INVALID,
          "no open session of this client has that id (closed, expired, or never opened)");
    }
    e.lastUsedNanos = ticker.nanoTime();
    return e;
  }

  void close(String id, String owner) {
    Entry e = get(id, owner);
    remove(e);
  }

  int open() {
    return sessions.size();
  }

  private void remove(Entry e) {
    if (sessions.remove(e.id, e)) {
      AtomicInteger n = perClient.get(e.owner);
      if (n != null) {
        n.decrementAndGet();
      }
      e.logout();
    }
  }

  void sweep() {
    long now = ticker.nanoTime();
    for (Entry e : sessions.values()) {
      if (now - e.lastUsedNanos > idleTimeout.toNanos()) {
        remove(e);
      }
    }
  }

  /**
   * Closes and logs out every session of {@code owner} (its certificate was revoked).
   *
   * @return how many were closed
   */
  int closeOwnedBy(String owner) {
    int n = 0;
    for (Entry e : sessions.values()) {
      if (e.owner.equals(owner) && sessions.containsKey(e.id)) {
        remove(e);
        n++;
      }
    }
    return n;
  }

  /**
   * Closes and logs out every session for whose owner and keyring {@code refused} holds (the
   * keyring is no longer assigned to that client).
   *
   * @return how many were closed
   */
  int closeWhere(java.util.function.BiPredicate<String, UUID> refused) {
    int n = 0;
    for (Entry e : sessions.values()) {
      if (refused.test(e.owner, e.keyringId) && sessions.containsKey(e.id)) {
        remove(e);
        n++;
      }
    }
    return n;
  }

  /** Closes and logs out every session (the cluster service stopped). */
  void closeAll() {
    for (Entry e : sessions.values()) {
      remove(e);
    }
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
    closeAll();
  }
}
