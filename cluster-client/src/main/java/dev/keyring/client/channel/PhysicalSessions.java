package dev.keyring.client.channel;

import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.PartResult;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The physical sessions of one {@link RecoveringChannel}, one per member it reached: which member
 * holds which session id, and the calls that end them. Bookkeeping only: every call here goes
 * through {@link RecoveryLoop#onWire} as {@link CallKind#ON_MEMBER}.
 */
final class PhysicalSessions {
  private static final System.Logger LOG = System.getLogger(PhysicalSessions.class.getName());

  private static final SecureRandom IDS = new SecureRandom();

  private final MemberRouter router;
  private final RoutedMember firstMember;
  private final String firstId;
  private final Map<RoutedMember, String> byMember = new ConcurrentHashMap<>();

  PhysicalSessions(MemberRouter router, RoutedMember first, String id) {
    this.router = router;
    this.firstMember = first;
    this.firstId = id;
    byMember.put(first, id);
  }

  /** The id of the physical session on the member that opened the logical session. */
  String firstId() {
    return byMember.getOrDefault(firstMember, firstId);
  }

  /** The physical session on {@code m}, or null. */
  String on(RoutedMember m) {
    return byMember.get(m);
  }

  void put(RoutedMember m, String sid) {
    byMember.put(m, sid);
  }

  /**
   * Opens a physical session on {@code m} for the keyring with this label or id, as a call of
   * {@code kind}.
   */
  static SessionInfo openOn(
      MemberRouter router, CallKind kind, RoutedMember m, String keyringLabelOrId)
      throws TransportException {
    SessionInfo info =
        RecoveryLoop.onWire(
            kind,
            router,
            () -> {
              String sid = newSessionId(); // one per attempt: a second attempt is a second open
              try {
                return m.channel().openSession(keyringLabelOrId, sid);
              } catch (TransportException e) {
                if (e.requestSent()) { // it may be open there, its answer lost: closed by its id
                  m.closeWhenBack(sid);
                }
                throw e;
              }
            });
    m.sessionOpened();
    return info;
  }

  /** A session id for the member to open a session under: 16 random bytes in lowercase hex. */
  static String newSessionId() {
    byte[] raw = new byte[16];
    IDS.nextBytes(raw);
    return HexFormat.of().formatHex(raw);
  }

  /**
   * A new physical session on {@code m}, logged in as {@code role} with {@code password} unless
   * {@code role} is null; closed again if the login fails.
   */
  String openLoggedIn(RoutedMember m, UUID keyringId, Role role, char[] password)
      throws TransportException {
    String sid = openOn(router, CallKind.ON_MEMBER, m, keyringId.toString()).sessionId();
    if (role != null) {
      String pw = new String(password);
      try {
        RecoveryLoop.onWire(
            CallKind.ON_MEMBER,
            router,
            () -> {
              m.channel().login(sid, role, pw);
              return null;
            });
      } catch (TransportException | RuntimeException e) {
        m.sessionClosed();
        closeQuietly(m, sid);
        throw e;
      }
    }
    return sid;
  }

  /**
   * Stops using {@code sid} on {@code m}; {@code delete} asks the member to close it too (when it
   * is back, if it is down).
   */
  void forget(RoutedMember m, String sid, boolean delete) {
    if (byMember.remove(m, sid)) {
      m.sessionClosed();
      if (delete && m.up()) {
        closeQuietly(m, sid);
      } else if (delete) {
        m.closeWhenBack(sid);
      }
    }
  }

  /** Forgets (and closes) the physical sessions on every member but {@code keep}. */
  void forgetAllBut(RoutedMember keep) {
    for (Map.Entry<RoutedMember, String> e : new ArrayList<>(byMember.entrySet())) {
      if (e.getKey() != keep) {
        forget(e.getKey(), e.getValue(), true);
      }
    }
  }

  /**
   * Closes {@code sid} on {@code m}; a failure is logged, the member expires it. The close runs in
   * a scope of its own: cleaning up after an attempt that recovery abandoned (a hedge that lost, a
   * login past the deadline) must not be cut off with it, or the session stays open on the member.
   */
  void closeQuietly(RoutedMember m, String sid) {
    try {
      new AttemptScope()
          .run(() -> RecoveryLoop.onWire(CallKind.ON_MEMBER, router, () -> closeOn(m, sid)));
    } catch (TransportException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.DEBUG,
          "closing a session on " + m.describe() + " failed; it expires there: " + e.getMessage());
    }
  }

  /**
   * Logs out on every member that is up; the sessions on members that are down are forgotten and
   * closed when their member is back, those that the member no longer knows forgotten.
   *
   * @throws HsmException CKR_USER_NOT_LOGGED_IN if no member logged out
   */
  void logoutEverywhere(String keyringLabel) throws TransportException {
    boolean done = false;
    HsmException refused = null;
    TransportException broken = null;
    for (Map.Entry<RoutedMember, String> e : new ArrayList<>(byMember.entrySet())) {
      RoutedMember m = e.getKey();
      if (!m.up()) {
        forget(m, e.getValue(), true); // closed (so logged out) when the member is back
        continue;
      }
      boolean answered = false;
      m.begin();
      try {
        RecoveryLoop.onWire(CallKind.ON_MEMBER, router, () -> logoutOn(m, e.getValue()));
        answered = true;
        done = true;
      } catch (HsmException x) {
        answered = true;
        if (CallKind.sessionGone(x.code())) {
          forget(m, e.getValue(), false);
        } else if (refused == null) {
          refused = x;
        }
      } catch (TransportException x) {
        // not known to be logged out there: never use that session again
        forget(m, e.getValue(), true);
        if (broken == null) {
          broken = x;
        }
      } finally {
        m.end(answered);
      }
    }
    if (done) {
      return;
    }
    if (refused != null) {
      throw refused;
    }
    if (broken != null) {
      throw broken;
    }
    throw new HsmException(
        ResultCode.CKR_USER_NOT_LOGGED_IN,
        "the session on keyring '" + keyringLabel + "' is not logged in on any member");
  }

  /**
   * Closes every physical session on the members that are up (on those that are down when they are
   * back) and forgets them all; the first failure on a member that is up is thrown (a session the
   * member already expired counts as closed).
   */
  void closeEverywhere() throws TransportException {
    List<Map.Entry<RoutedMember, String>> open = new ArrayList<>(byMember.entrySet());
    byMember.clear();
    TransportException broken = null;
    HsmException refused = null;
    for (Map.Entry<RoutedMember, String> e : open) {
      RoutedMember m = e.getKey();
      m.sessionClosed();
      if (!m.up()) {
        m.closeWhenBack(e.getValue());
        continue;
      }
      try {
        RecoveryLoop.onWire(CallKind.ON_MEMBER, router, () -> closeOn(m, e.getValue()));
      } catch (HsmException x) {
        if (!CallKind.sessionGone(x.code()) && refused == null) {
          refused = x;
        }
      } catch (TransportException x) {
        if (broken == null) {
          broken = x;
        }
      }
    }
    if (broken != null) {
      throw broken;
    }
    if (refused != null) {
      throw refused;
    }
  }

  /**
   * Sends the parts of operation {@code op} to the physical session {@code sid} on {@code m}, where
   * it started; {@code requireOpen} checks the logical session first.
   */
  KeyringOperation.Parts partsOf(RoutedMember m, String sid, String op, Runnable requireOpen) {
    return (part, last, signature) -> {
      requireOpen.run();
      boolean answered = false;
      m.begin();
      try {
        PartResult r =
            RecoveryLoop.onWire(
                CallKind.ON_MEMBER,
                router,
                () -> m.channel().operationPart(sid, op, part, last, signature));
        answered = true;
        return r;
      } catch (HsmException e) {
        answered = true;
        throw e;
      } finally {
        m.end(answered);
      }
    };
  }

  private static Void logoutOn(RoutedMember m, String sid) throws TransportException {
    m.channel().logout(sid);
    return null;
  }

  private static Void closeOn(RoutedMember m, String sid) throws TransportException {
    m.channel().closeSession(sid);
    return null;
  }
}
