package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Role;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Opens the physical sessions of one {@link RecoveringChannel} on the members it reaches, and logs
 * them in as the logical session is. Opening creates state on the member, so it is never abandoned:
 * an attempt that recovery gives up on (a hedge that lost, an attempt past its deadline) stops
 * waiting, but the open goes on in the background to its end, and the session it opened is then
 * kept for the next call on that member or, when the logical session closed or changed its login
 * meanwhile, closed. Without this, the member would hold a session whose id nobody learned.
 *
 * <p>One open at a time per member: calls that need a session there while one is being opened wait
 * for it. Each open is made for a login state (role and password, numbered by the owner each time
 * it changes: login, logout, password change, close); a session opened for a state that is no
 * longer current is closed, never used, so a session opened before a logout cannot serve a call
 * after it. No member call runs under the owner's lock.
 */
final class SessionOpener {
  /** The logical session's login state, read under its lock. */
  interface Owner {
    /** Throws CKR_SESSION_CLOSED when the logical session is closed. */
    void requireOpen();

    boolean closed();

    /** The number of the login state; it changes whenever the role or the password does. */
    long loginState();

    /** The role to log a new session in as; null for none. */
    Role role();

    /** The password for {@link #role()}; null when it is null. */
    char[] password();
  }

  /** A session being opened on a member for login state {@code state}. */
  private static final class Opening {
    final RoutedMember member;
    final long state;
    final Role role;
    final char[] password;
    // completed with null once the open ended well, or with its failure
    final CompletableFuture<Exception> done = new CompletableFuture<>();

    Opening(RoutedMember member, long state, Role role, char[] password) {
      this.member = member;
      this.state = state;
      this.role = role;
      this.password = password;
    }
  }

  private final PhysicalSessions physical;
  private final Hedging hedging;
  private final UUID keyringId;
  private final Object lock;
  private final Owner owner;
  // guarded by lock
  private final Map<RoutedMember, Opening> opening = new HashMap<>();

  /**
   * @param lock the owner's lock, which guards its login state
   * @param hedging where an open runs when its caller may be abandoned
   */
  SessionOpener(
      PhysicalSessions physical, Hedging hedging, UUID keyringId, Object lock, Owner owner) {
    this.physical = physical;
    this.hedging = hedging;
    this.keyringId = keyringId;
    this.lock = lock;
    this.owner = owner;
  }

  /**
   * The physical session on {@code m}: the one known, or one opened and logged in now (or being
   * opened by another call). When recovery abandons the calling attempt meanwhile, this throws at
   * once and the open goes on in the background.
   */
  String sessionOn(RoutedMember m) throws TransportException {
    while (true) {
      String sid = physical.on(m);
      if (sid != null) {
        return sid;
      }
      Opening o;
      boolean start = false;
      synchronized (lock) {
        sid = physical.on(m);
        if (sid != null) {
          return sid;
        }
        owner.requireOpen();
        o = opening.get(m);
        if (o == null || o.state != owner.loginState()) {
          char[] pw = owner.password();
          o = new Opening(m, owner.loginState(), owner.role(), pw == null ? null : pw.clone());
          opening.put(m, o);
          start = true;
        }
      }
      if (start) {
        launch(o);
      }
      Exception failure = await(o);
      if (failure != null) {
        synchronized (lock) {
          if (o.state != owner.loginState()) {
            continue; // made for a login state gone since: open again for the current one
          }
        }
        throw rethrow(failure);
      }
    }
  }

  /**
   * Runs the open on this thread when nothing can abandon its caller, else in the background (on
   * the hedge threads), so that giving up the attempt never cuts the open off.
   */
  private void launch(Opening o) {
    if (AttemptScope.current().abandonable()) {
      try {
        hedging.execute(() -> open(o));
        return;
      } catch (RejectedExecutionException closing) {
        // the client is closing: the open runs on the caller's thread
      }
    }
    open(o);
  }

  /** Opens and logs in; keeps the session if it is still wanted as it is, else closes it. */
  private void open(Opening o) {
    String sid = null;
    Exception failure = null;
    try {
      sid =
          new AttemptScope()
              .run(() -> physical.openLoggedIn(o.member, keyringId, o.role, o.password));
    } catch (TransportException | RuntimeException e) {
      failure = e;
    } finally {
      if (o.password != null) {
        Arrays.fill(o.password, '\0');
      }
    }
    boolean kept = false;
    synchronized (lock) {
      opening.remove(o.member, o);
      if (sid != null
          && !owner.closed()
          && o.state == owner.loginState()
          && physical.on(o.member) == null) {
        physical.put(o.member, sid);
        kept = true;
      }
    }
    if (sid != null && !kept) {
      o.member.sessionClosed();
      physical.closeQuietly(o.member, sid);
    }
    o.done.complete(failure);
  }

  /** The open's end (null, or its failure); throws when the calling attempt is abandoned first. */
  private static Exception await(Opening o) throws TransportException {
    AttemptScope scope = AttemptScope.current();
    CompletableFuture<Void> gone = new CompletableFuture<>();
    scope.onAbandon(() -> gone.complete(null));
    try {
      CompletableFuture.anyOf(o.done, gone).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransportException(
          TransportException.Kind.INTERRUPTED,
          "opening a session on " + o.member.describe() + " was interrupted",
          e,
          true,
          false);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    if (!o.done.isDone()) {
      throw new TransportException(
          TransportException.Kind.IO,
          "the attempt on "
              + o.member.describe()
              + " was abandoned while a session was opened there; the open goes on in the"
              + " background",
          null,
          true,
          false);
    }
    return o.done.join();
  }

  private static TransportException rethrow(Exception e) {
    if (e instanceof RuntimeException) {
      throw (RuntimeException) e;
    }
    return (TransportException) e;
  }
}
