package dev.keyring.client.channel;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The recovering {@link KeyringChannel}: a logical session on one keyring over the members a {@link
 * MemberRouter} chooses, each reached through its {@link MemberChannel}. The one place where a call
 * is repeated, by the rules of {@link CallKind}, which its loop ({@link RecoveryLoop}) applies.
 *
 * <p>Sessions and logins live on one member each, so this is a logical session: it remembers the
 * keyring and, after a successful {@link #login}, the role and password (in memory only, as a
 * {@code char[]} cleared by {@link #logout()} and {@link #close()}; never logged, never in {@link
 * #toString()}). The first time a call goes to a member, a physical session is opened there and
 * logged in with the remembered role and password. When a member says a physical session is gone,
 * it is opened and logged in again once and the call repeated, without the application noticing. A
 * {@link KeyringOperation} stays on the member where it started. {@link #login} drops the physical
 * sessions on the other members (they are opened again, logged in, when needed); {@link #logout()}
 * and {@link #close()} apply to every physical session, skipping members that are down (those close
 * the session after their idle timeout).
 *
 * <p>Thread-safe: calls may run concurrently (the member serializes what must be).
 */
public final class RecoveringChannel implements KeyringChannel {
  private static final System.Logger LOG = System.getLogger(RecoveringChannel.class.getName());

  /** One attempt of a call on a member's channel. */
  @FunctionalInterface
  public interface WireCall<T> {
    T apply(MemberChannel channel) throws TransportException;
  }

  /** One attempt of a call on a physical session. */
  @FunctionalInterface
  private interface SessionCall<T> {
    T apply(MemberChannel channel, String sessionId) throws TransportException;
  }

  /** One attempt of a call on a physical session that answers nothing. */
  @FunctionalInterface
  private interface SessionRun {
    void apply(MemberChannel channel, String sessionId) throws TransportException;
  }

  private final MemberRouter router;
  private final Hedging hedging;
  private final Consumer<RecoveringChannel> onClose;
  private final UUID keyringId;
  private final String keyringLabel;
  private final PhysicalSessions physical;
  private final SessionOpener opener;
  // guards the credentials and their number, and closing
  private final Object lock = new Object();
  private Role role;
  private char[] password;
  private long loginState;
  private volatile boolean closed;

  private RecoveringChannel(
      MemberRouter router,
      Hedging hedging,
      Consumer<RecoveringChannel> onClose,
      RoutedMember first,
      SessionInfo info) {
    this.router = router;
    this.hedging = hedging;
    this.onClose = onClose;
    this.keyringId = info.keyringId();
    this.keyringLabel = info.label();
    this.physical = new PhysicalSessions(router, first, info.sessionId());
    this.opener = new SessionOpener(physical, hedging, keyringId, lock, new LoginState());
  }

  /** The login state physical sessions are opened for, read under {@code lock}. */
  private final class LoginState implements SessionOpener.Owner {
    @Override
    public void requireOpen() {
      RecoveringChannel.this.requireOpen();
    }

    @Override
    public boolean closed() {
      return closed;
    }

    @Override
    public long loginState() {
      return loginState;
    }

    @Override
    public Role role() {
      return role;
    }

    @Override
    public char[] password() {
      return password;
    }
  }

  /**
   * Opens a logical session on the keyring with this label or UUID: its first physical session is
   * opened now, on a member chosen as for a read.
   *
   * @param onClose told once, when the channel is closed
   * @throws HsmException CKR_SLOT_ID_INVALID if the cluster has no such keyring
   */
  public static RecoveringChannel open(
      MemberRouter router, String keyringLabelOrId, Consumer<RecoveringChannel> onClose)
      throws TransportException {
    return open(router, Hedging.off(), keyringLabelOrId, onClose);
  }

  /**
   * As {@link #open(MemberRouter, String, Consumer)}; the session's repeatable reads are hedged and
   * given deadlines as {@code hedging} says.
   */
  public static RecoveringChannel open(
      MemberRouter router,
      Hedging hedging,
      String keyringLabelOrId,
      Consumer<RecoveringChannel> onClose)
      throws TransportException {
    Objects.requireNonNull(router, "router");
    Objects.requireNonNull(hedging, "hedging");
    Objects.requireNonNull(keyringLabelOrId, "keyringLabelOrId");
    Objects.requireNonNull(onClose, "onClose");
    return RecoveryLoop.route(
        router,
        CallKind.READ_ONCE,
        "open a session on keyring '" + keyringLabelOrId + "'",
        m -> {
          SessionInfo info =
              PhysicalSessions.openOn(router, CallKind.READ_ONCE, m, keyringLabelOrId);
          return new RecoveringChannel(router, hedging, onClose, m, info);
        });
  }

  /**
   * Runs {@code call} on a member {@code router} chooses, as the rules of {@code kind} say: for
   * calls on no session ({@code GET /v1/slots}, a health check).
   *
   * @param what the call, for messages ("GET /v1/slots")
   */
  public static <T> T call(MemberRouter router, CallKind kind, String what, WireCall<T> call)
      throws TransportException {
    return call(router, Hedging.off(), kind, what, call);
  }

  /** As {@link #call(MemberRouter, CallKind, String, WireCall)}, hedged as {@code hedging} says. */
  public static <T> T call(
      MemberRouter router, Hedging hedging, CallKind kind, String what, WireCall<T> call)
      throws TransportException {
    return RecoveryLoop.route(
        router,
        hedging,
        kind,
        what,
        m -> RecoveryLoop.onWire(kind, router, () -> call.apply(m.channel())));
  }

  /**
   * The member's id for the physical session on the member that opened this session (it changes
   * when that member restarts). The session may hold further physical sessions on other members.
   */
  public String id() {
    return physical.firstId();
  }

  @Override
  public UUID keyringId() {
    return keyringId;
  }

  @Override
  public String keyringLabel() {
    return keyringLabel;
  }

  @Override
  public boolean isOpen() {
    return !closed;
  }

  @Override
  public boolean isLoggedIn() {
    synchronized (lock) {
      return role != null;
    }
  }

  // ---- roles

  /**
   * {@inheritDoc} On success the role and password are remembered for the session's physical
   * sessions on other members.
   */
  @Override
  public void login(Role role, String password) throws TransportException {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(password, "password");
    RoutedMember on =
        onCluster(
            CallKind.READ_ONCE,
            "login",
            (m, c, sid) -> {
              c.login(sid, role, password);
              return m;
            });
    synchronized (lock) {
      clearCredentials();
      this.role = role;
      this.password = password.toCharArray();
    }
    physical.forgetAllBut(on);
  }

  /** {@inheritDoc} On every member reached; members that are down forget it with the session. */
  @Override
  public void logout() throws TransportException {
    requireOpen();
    synchronized (lock) {
      clearCredentials();
    }
    physical.logoutEverywhere(keyringLabel);
  }

  /** {@inheritDoc} The remembered password follows. */
  @Override
  public void changePassword(String oldPassword, String newPassword) throws TransportException {
    Objects.requireNonNull(newPassword, "newPassword");
    runOnSession(
        CallKind.WRITE, "password", (c, sid) -> c.changePassword(sid, oldPassword, newPassword));
    synchronized (lock) {
      if (role != null) {
        Arrays.fill(password, '\0');
        password = newPassword.toCharArray();
        loginState++; // a session being opened with the old password is not kept
      }
    }
  }

  @Override
  public void initKrco(String password) throws TransportException {
    runOnSession(CallKind.WRITE, "init-krco", (c, sid) -> c.initKrco(sid, password));
  }

  // ---- objects

  @Override
  public KeyringKeyPair generateKeyPair(
      KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException {
    return onSession(
        CallKind.WRITE,
        "keypairs",
        (c, sid) -> c.generateKeyPair(sid, params, publicTemplate, privateTemplate));
  }

  @Override
  public KeyringObject generateKey(KeyGenParams params, Attributes template)
      throws TransportException {
    return onSession(CallKind.WRITE, "keys", (c, sid) -> c.generateKey(sid, params, template));
  }

  @Override
  public KeyringObject createObject(Attributes template) throws TransportException {
    return onSession(CallKind.WRITE, "objects", (c, sid) -> c.createObject(sid, template));
  }

  @Override
  public List<KeyringObject> findObjects(Attributes template) throws TransportException {
    return onSession(
        CallKind.READ_REPEATABLE, "objects/find", (c, sid) -> c.findObjects(sid, template));
  }

  /** {@inheritDoc} Routed as {@link CallKind#READ_PRIMARY}. */
  @Override
  public List<KeyringObject> findObjectsOnPrimary(Attributes template) throws TransportException {
    return onSession(
        CallKind.READ_PRIMARY,
        "objects/find on the primary",
        (c, sid) -> c.findObjectsOnPrimary(sid, template));
  }

  @Override
  public KeyringObject getObject(long handle) throws TransportException {
    return onSession(CallKind.READ_REPEATABLE, "get object", (c, sid) -> c.getObject(sid, handle));
  }

  @Override
  public KeyringObject setAttributes(long handle, Attributes changes) throws TransportException {
    return onSession(
        CallKind.WRITE, "set attributes", (c, sid) -> c.setAttributes(sid, handle, changes));
  }

  @Override
  public void destroyObject(long handle) throws TransportException {
    runOnSession(CallKind.WRITE, "destroy object", (c, sid) -> c.destroyObject(sid, handle));
  }

  // ---- cryptography

  @Override
  public byte[] sign(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    Objects.requireNonNull(data, "data");
    return onSession(
        CallKind.READ_REPEATABLE, "sign", (c, sid) -> c.sign(sid, key, mechanism, params, data));
  }

  @Override
  public boolean verify(
      long key, Mechanism mechanism, MechanismParams params, byte[] data, byte[] signature)
      throws TransportException {
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(data, "data");
    return onSession(
        CallKind.READ_REPEATABLE,
        "verify",
        (c, sid) -> c.verify(sid, key, mechanism, params, data, signature));
  }

  @Override
  public byte[] encrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    Objects.requireNonNull(data, "data");
    return onSession(
        CallKind.READ_REPEATABLE,
        "encrypt",
        (c, sid) -> c.encrypt(sid, key, mechanism, params, data));
  }

  @Override
  public byte[] decrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    Objects.requireNonNull(data, "data");
    return onSession(
        CallKind.READ_REPEATABLE,
        "decrypt",
        (c, sid) -> c.decrypt(sid, key, mechanism, params, data));
  }

  @Override
  public byte[] wrapKey(long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException {
    return onSession(
        CallKind.READ_ONCE,
        "wrap",
        (c, sid) -> c.wrapKey(sid, wrappingKey, mechanism, params, key));
  }

  @Override
  public KeyringObject unwrapKey(
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template)
      throws TransportException {
    Objects.requireNonNull(wrapped, "wrapped");
    return onSession(
        CallKind.WRITE,
        "unwrap",
        (c, sid) -> c.unwrapKey(sid, unwrappingKey, mechanism, params, wrapped, template));
  }

  @Override
  public KeyringObject deriveKey(
      long baseKey, Mechanism mechanism, MechanismParams params, Attributes template)
      throws TransportException {
    return onSession(
        CallKind.WRITE,
        "derive",
        (c, sid) -> c.deriveKey(sid, baseKey, mechanism, params, template));
  }

  @Override
  public byte[] random(int length) throws TransportException {
    return onSession(CallKind.READ_REPEATABLE, "random", (c, sid) -> c.random(sid, length));
  }

  @Override
  public CloningMessages.CloningOffer cloningOffer() throws TransportException {
    return onSession(CallKind.READ_REPEATABLE, "cloning offer", MemberChannel::cloningOffer);
  }

  @Override
  public List<CloningMessages.ClonableObject> clonableObjects() throws TransportException {
    return onSession(CallKind.READ_REPEATABLE, "cloning objects", MemberChannel::clonableObjects);
  }

  @Override
  public byte[] cloneOut(long handle, CloningMessages.CloningOffer offer)
      throws TransportException {
    return onSession(
        CallKind.READ_REPEATABLE, "clone out", (c, sid) -> c.cloneOut(sid, handle, offer));
  }

  @Override
  public KeyringObject cloneIn(byte[] bundle) throws TransportException {
    return onSession(CallKind.WRITE, "clone in", (c, sid) -> c.cloneIn(sid, bundle));
  }

  @Override
  public KeyringOperation startOperation(
      KeyringOperation.Kind kind, long key, Mechanism mechanism, MechanismParams params)
      throws TransportException {
    Objects.requireNonNull(kind, "kind");
    return onCluster(
        CallKind.READ_ONCE,
        "operations",
        (m, c, sid) -> {
          String op = c.startOperation(sid, kind, key, mechanism, params);
          return new KeyringOperation(kind, physical.partsOf(m, sid, op, this::requireOpen));
        });
  }

  // ---- life cycle

  /**
   * {@inheritDoc} A session a member already expired counts as closed; members that are down are
   * not asked (they close it after their idle timeout).
   *
   * @throws TransportException if a member that is up could not be told (it closes the session
   *     itself after its idle timeout); the session is unusable here either way
   */
  @Override
  public void close() throws TransportException {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      clearCredentials();
    }
    try {
      physical.closeEverywhere();
    } finally {
      onClose.accept(this);
    }
  }

  @Override
  public String toString() {
    return "KeyringChannel[" + keyringLabel + " (" + keyringId + ")" + (closed ? ", closed]" : "]");
  }

  // ---- the retry loop: RecoveryLoop applies CallKind's table

  /** A call on the physical session on the member the router chose. */
  @FunctionalInterface
  private interface RoutedSessionCall<T> {
    T apply(RoutedMember member, MemberChannel channel, String sessionId) throws TransportException;
  }

  private <T> T onSession(CallKind kind, String what, SessionCall<T> call)
      throws TransportException {
    return onCluster(kind, what, (m, c, sid) -> call.apply(c, sid));
  }

  private void runOnSession(CallKind kind, String what, SessionRun call) throws TransportException {
    onCluster(
        kind,
        what,
        (m, c, sid) -> {
          call.apply(c, sid);
          return null;
        });
  }

  /** Routes {@code call} to a member and runs it on this session's physical session there. */
  private <T> T onCluster(CallKind kind, String what, RoutedSessionCall<T> call)
      throws TransportException {
    requireOpen();
    return RecoveryLoop.route(router, hedging, kind, what, m -> onMember(m, kind, call));
  }

  /**
   * Runs {@code call} on the physical session on {@code m} (opened and logged in if need be); when
   * the member says that session is gone, opens and logs in a new one and repeats the call once.
   */
  private <T> T onMember(RoutedMember m, CallKind kind, RoutedSessionCall<T> call)
      throws TransportException {
    String sid = physicalSession(m);
    try {
      return RecoveryLoop.onWire(kind, router, () -> call.apply(m, m.channel(), sid));
    } catch (HsmException e) {
      if (!kind.sessionLost(e.code(), isLoggedIn())) {
        throw e;
      }
      String fresh = reopen(m, sid);
      return RecoveryLoop.onWire(kind, router, () -> call.apply(m, m.channel(), fresh));
    }
  }

  // ---- physical sessions

  private String requireOpen() {
    if (closed) {
      throw new HsmException(
          ResultCode.CKR_SESSION_CLOSED,
          "the session on keyring '" + keyringLabel + "' is closed; open a new one");
    }
    return id();
  }

  /** The physical session on {@code m}, opened and logged in if there is none (see opener). */
  private String physicalSession(RoutedMember m) throws TransportException {
    return opener.sessionOn(m);
  }

  /** Replaces {@code broken} on {@code m} (unless another thread already did). */
  private String reopen(RoutedMember m, String broken) throws TransportException {
    requireOpen();
    String current = physical.on(m);
    if (current != null && !current.equals(broken)) {
      return current;
    }
    if (current != null) {
      physical.forget(m, current, true);
    }
    String fresh = opener.sessionOn(m);
    LOG.log(
        Level.DEBUG,
        "the session on '" + keyringLabel + "' was lost on " + m.describe() + "; opened again");
    return fresh;
  }

  /** Called under lock. */
  private void clearCredentials() {
    loginState++;
    role = null;
    if (password != null) {
      Arrays.fill(password, '\0');
      password = null;
    }
  }
}
