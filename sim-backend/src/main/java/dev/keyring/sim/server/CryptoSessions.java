package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.keyring.KeyringSession;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
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
 *
 * <p>A client may pick the id of the session it opens (32 lowercase hex digits, at random), so that
 * it can close the session by that id when the open's answer never reaches it (the call timed out,
 * its connection broke). Such a close may come before the open itself (still on its way, or waiting
 * in a paused member): a close of an id this client has no session under is remembered for the idle
 * timeout ({@link #MAX_CLOSED_PER_CLIENT} ids per client and {@link #MAX_CLOSED} in all at most, a
 * few MiB), and an open under a remembered id is refused with {@code CKR_SESSION_CLOSED}, so the
 * session the client gave up on is never left open.
 */
final class CryptoSessions implements AutoCloseable {
  static final int MAX_SESSIONS_PER_CLIENT = 256;

  /** Ids closed before their open came, remembered per client at most. */
  static final int MAX_CLOSED_PER_CLIENT = 1024;

  /** Ids closed before their open came, remembered for all clients together at most. */
  static final int MAX_CLOSED = 32_768;

  private static final int ID_DIGITS = 32;

  private final Duration idleTimeout;
  private final Ticker ticker;
  private final ConcurrentHashMap<String, Entry> sessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
  // client-picked ids closed before any session had them: owner -> id -> when (ticker nanos);
  // changed only under this object's lock, with the check of the sessions that goes with it
  private final Map<String, Map<String, Long>> closedEarly = new HashMap<>();
  private int closedEarlyTotal; // under this object's lock
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

  /** Opens a session whose id the member picks. */
  Entry open(String owner, UUID keyringId, String label) {
    return open(owner, keyringId, label, null);
  }

  /**
   * Opens a session under the id the client picked ({@code requestedId}; null: the member picks
   * one).
   *
   * @throws HsmException CKR_ARGUMENTS_BAD for an id that is not 32 lowercase hex digits or that
   *     another session has; CKR_SESSION_CLOSED for an id this client closed already;
   *     CKR_DEVICE_MEMORY when the client has {@link #MAX_SESSIONS_PER_CLIENT} sessions open
   */
  Entry open(String owner, UUID keyringId, String label, String requestedId) {
    if (requestedId != null && !wellFormed(requestedId)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "a session id the client picks must be " + ID_DIGITS + " lowercase hex digits");
    }
    AtomicInteger n = perClient.computeIfAbsent(owner, o -> new AtomicInteger());
    if (n.incrementAndGet() > MAX_SESSIONS_PER_CLIENT) {
      n.decrementAndGet();
      throw new HsmException(
          ResultCode.CKR_DEVICE_MEMORY,
          "this client already has " + MAX_SESSIONS_PER_CLIENT + " open sessions; close some");
    }
    if (requestedId == null) {
      byte[] raw = new byte[16];
      while (true) {
        random.nextBytes(raw);
        Entry e =
            new Entry(HexFormat.of().formatHex(raw), owner, keyringId, label, ticker.nanoTime());
        if (sessions.putIfAbsent(e.id, e) == null) {
          return e;
        }
      }
    }
    Entry e = new Entry(requestedId, owner, keyringId, label, ticker.nanoTime());
    ResultCode refused;
    synchronized (this) {
      Map<String, Long> closed = closedEarly.get(owner);
      if (closed != null && closed.remove(requestedId) != null) {
        closedEarlyTotal--;
        if (closed.isEmpty()) {
          closedEarly.remove(owner);
        }
        refused = ResultCode.CKR_SESSION_CLOSED;
      } else if (sessions.putIfAbsent(requestedId, e) == null) {
        return e;
      } else {
        refused = ResultCode.CKR_ARGUMENTS_BAD;
      }
    }
    n.decrementAndGet();
    // the messages leave the id out: they never repeat a value of the request
    throw new HsmException(
        refused,
        refused == ResultCode.CKR_SESSION_CLOSED
            ? "this client closed that session id before its open came; open the session again"
                + " under a new id"
            : "that session id is taken; pick another at random");
  }

  private static boolean wellFormed(String id) {
    boolean ok = id.length() == ID_DIGITS;
    for (int i = 0; ok && i < id.length(); i++) {
      char c = id.charAt(i);
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    return ok;
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

  /**
   * Closes the session {@code id} of {@code owner}. An id of the form a client picks that no
   * session of this client has is remembered as closed (its open may come later), then refused as
   * unknown.
   */
  void close(String id, String owner) {
    Entry e = sessions.get(id);
    if (e == null && rememberClosed(id, owner)) {
      e = sessions.get(id);
    }
    if (e == null || !e.owner.equals(owner)) {
      get(id, owner); // throws CKR_SESSION_HANDLE_INVALID
    }
    remove(e);
  }

  /**
   * Remembers {@code id} as closed by {@code owner} unless a session has it by now; true when one
   * has (the open came in between).
   */
  private synchronized boolean rememberClosed(String id, String owner) {
    if (sessions.containsKey(id)) {
      return true;
    }
    if (!wellFormed(id)) {
      return false; // not an id a client picks: no open of it can come
    }
    Map<String, Long> closed = closedEarly.computeIfAbsent(owner, o -> new HashMap<>());
    if (closed.size() < MAX_CLOSED_PER_CLIENT
        && closedEarlyTotal < MAX_CLOSED
        && closed.put(id, ticker.nanoTime()) == null) {
      closedEarlyTotal++;
    }
    if (closed.isEmpty()) {
      closedEarly.remove(owner);
    }
    return false;
  }

  /** How many ids closed before their open this member remembers, for tests. */
  synchronized int closedEarly() {
    return closedEarlyTotal;
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
    synchronized (this) {
      closedEarly
          .values()
          .removeIf(
              m -> {
                int before = m.size();
                m.values().removeIf(at -> now - at > idleTimeout.toNanos());
                closedEarlyTotal -= before - m.size();
                return m.isEmpty();
              });
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
