package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.ResultCode;

/**
 * What recovery may do with a call, by what the call does. The one table of recovery rules; {@link
 * RecoveringChannel} applies it (through its loop, {@link RecoveryLoop}) and nothing else repeats a
 * call. {@link #READ_PRIMARY} is a repeatable read that only the primary member answers.
 *
 * <table>
 *   <caption>What happens to a call after each failure</caption>
 *   <tr><th>failure</th><th>{@link #READ_REPEATABLE}, {@link #READ_PRIMARY}</th>
 *       <th>{@link #READ_ONCE}</th><th>{@link #WRITE}</th><th>{@link #ON_MEMBER}</th></tr>
 *   <tr><td>lost session: CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, or
 *       CKR_USER_NOT_LOGGED_IN while logged in</td>
 *       <td colspan="3">a new physical session is opened and logged in on that member, and the
 *       call repeated there once</td><td>thrown</td></tr>
 *   <tr><td>CONNECT or IO, the request never left the client</td>
 *       <td colspan="4">once more on the same member, on a fresh connection (not after an unknown
 *       host, an expired call deadline or an interrupt); if that fails too, see below</td></tr>
 *   <tr><td>CONNECT (no connection was made; also a hello refused because this client has too
 *       many connections or the member is stopping, and the calls a stopping member's goodbye left
 *       without an answer: it served none of them)</td>
 *       <td colspan="3">member marked down, call repeated on another member</td>
 *       <td>thrown</td></tr>
 *   <tr><td>IO after the request was sent</td>
 *       <td>once more on the same member on a fresh connection, then member marked down and call
 *       repeated on another member</td>
 *       <td>member marked down, call repeated on another member</td>
 *       <td>member marked down, not repeated: the write may or may not have happened</td>
 *       <td>thrown</td></tr>
 *   <tr><td>CKR_TOKEN_WRITE_PROTECTED</td><td colspan="2">thrown</td>
 *       <td>view refreshed, tried once more on another read-write member</td><td>thrown</td></tr>
 *   <tr><td>CKR_MEMBER_BEHIND (the member does not hold the client's last write, or is not the
 *       primary; it did nothing)</td>
 *       <td colspan="3">view refreshed (once per call), call repeated on the primary; when the
 *       primary was tried already or is not known, on another member (never for {@link
 *       #READ_PRIMARY})</td><td>thrown</td></tr>
 *   <tr><td>CKR_DEVICE_ERROR (the member's store or engine failed)</td>
 *       <td>{@link #READ_REPEATABLE}: repeated on another member (each member once); thrown when
 *       none is left; {@link #READ_PRIMARY}: thrown</td><td colspan="3">thrown</td></tr>
 *   <tr><td>no answer yet (a slow or paused member)</td>
 *       <td>{@link #READ_REPEATABLE}: after the hedge delay also sent to a second member, first
 *       answer taken; after the answer deadline the member is marked down and the call goes on
 *       elsewhere ({@link Hedging}); {@link #READ_PRIMARY}: waited for</td>
 *       <td colspan="3">waited for; a write is never sent twice</td></tr>
 *   <tr><td>TLS, PROTOCOL, CONFIGURATION, any other refusal</td>
 *       <td colspan="4">thrown, never repeated</td></tr>
 * </table>
 *
 * A failure of an {@link #ON_MEMBER} call made for a routed call (opening and logging in the
 * physical session a call needs on a member it reaches for the first time) counts as a failure of
 * that call. Failures met before the one thrown are attached to it as suppressed exceptions. The
 * same table is in {@code docs/client-routing.md}.
 */
public enum CallKind {
  /**
   * Reads whose repeat changes nothing: sign, verify, encrypt, decrypt, random, find and get
   * objects, slots, health.
   */
  READ_REPEATABLE(false, true, true, false),
  /**
   * The lookup that decides a destroy or a label change (find objects on the primary): answered by
   * the primary member only, repeatable like {@link #READ_REPEATABLE}.
   */
  READ_PRIMARY(false, true, true, true),
  /**
   * Reads that change a member's state or are not to be sent twice: open session, login, wrap, the
   * start of a multi-part operation.
   */
  READ_ONCE(false, false, true, false),
  /**
   * Changes to the keyring: create, generate, set attributes, destroy, unwrap, derive, change
   * password, init KRCO.
   */
  WRITE(true, false, true, false),
  /**
   * Calls bound to one member's physical session: the opening and log-in of a replacement session,
   * logout and close on each member, the parts of a multi-part operation.
   */
  ON_MEMBER(false, false, false, false);

  private final boolean write;
  private final boolean repeatable;
  private final boolean routed;
  private final boolean primary;

  CallKind(boolean write, boolean repeatable, boolean routed, boolean primary) {
    this.write = write;
    this.repeatable = repeatable;
    this.routed = routed;
    this.primary = primary;
  }

  /** Whether only the primary member may answer the call. */
  public boolean primary() {
    return primary;
  }

  /** Whether the call changes the keyring: it goes to read-write members only. */
  public boolean write() {
    return write;
  }

  /** Whether sending the call twice has the effect of sending it once. */
  public boolean repeatable() {
    return repeatable;
  }

  /** Whether the call may go to another member after its member failed. */
  public boolean routed() {
    return routed;
  }

  /**
   * Whether a slow member's attempt may be doubled on a second member (a hedge) and abandoned at
   * the answer deadline ({@link Hedging}): repeatable reads that any member answers. Never a write,
   * nor what only the primary answers (there is no second member to ask).
   */
  public boolean hedged() {
    return repeatable && routed && !write && !primary;
  }

  /** Whether the failed attempt is made once more on the same member, on a fresh connection. */
  public boolean againOnSameMember(TransportException e) {
    return e.transientFailure() && (!e.requestSent() || repeatable);
  }

  /** Whether {@code e} means the member is unreachable: it is marked down. */
  public static boolean memberFailure(TransportException e) {
    return e.kind() == TransportException.Kind.CONNECT || e.kind() == TransportException.Kind.IO;
  }

  /** Whether the call is repeated on another member after its member failed with {@code e}. */
  public boolean elsewhereAfter(TransportException e) {
    return routed && memberFailure(e) && (!write || e.kind() == TransportException.Kind.CONNECT);
  }

  /**
   * Whether the call is tried once more on another read-write member after refusal {@code code}.
   */
  public boolean elsewhereAfter(ResultCode code) {
    return write && code == ResultCode.CKR_TOKEN_WRITE_PROTECTED;
  }

  /**
   * Whether refusal {@code code} sends the call to the primary: CKR_MEMBER_BEHIND, which a member
   * answers before doing anything when it does not hold the client's last write (or is not the
   * primary a {@link #READ_PRIMARY} call needs).
   */
  public boolean toPrimaryAfter(ResultCode code) {
    return routed && code == ResultCode.CKR_MEMBER_BEHIND;
  }

  /**
   * Whether refusal {@code code} sends a repeatable read to another member: CKR_DEVICE_ERROR, which
   * a member answers when its own store or engine failed (a full disk, a closed database). A read
   * changes nothing, so another member may answer it; the primary-only lookup has no other member.
   */
  public boolean elsewhereAfterDeviceError(ResultCode code) {
    return repeatable && routed && !write && !primary && code == ResultCode.CKR_DEVICE_ERROR;
  }

  /** Whether {@code code} says the member no longer knows the physical session. */
  public static boolean sessionGone(ResultCode code) {
    return code == ResultCode.CKR_SESSION_HANDLE_INVALID || code == ResultCode.CKR_SESSION_CLOSED;
  }

  /**
   * Whether refusal {@code code} to a session that is {@code loggedIn} means the session was lost
   * (the member restarted or expired it): it is opened and logged in again.
   */
  public boolean sessionLost(ResultCode code, boolean loggedIn) {
    return routed && (sessionGone(code) || (code == ResultCode.CKR_USER_NOT_LOGGED_IN && loggedIn));
  }
}
