package dev.keyring.client;

import dev.keyring.client.internal.routing.ClusterRouter;
import dev.keyring.client.internal.routing.ClusterRouter.Access;
import dev.keyring.client.internal.routing.MemberLink;
import dev.keyring.client.internal.transport.HttpTransport;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CryptoMessages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A session on one keyring of the cluster, opened by {@link KeyringClient#openSession(String)}. Log
 * in as the KRSO (with the initial password, which must then be changed, and to initialize the
 * KRCO) or as the KRCO (to generate and use keys). Every object handle names an object of this
 * session's keyring only; handles are the same on every member.
 *
 * <h2>A logical session over the cluster</h2>
 *
 * Sessions and logins live on one member each, so this handle is a logical session: it remembers
 * the keyring and, after a successful {@link #login}, the role and password (in memory only, as a
 * {@code char[]} cleared by {@link #logout()} and {@link #close()}; never logged, never in {@link
 * #toString()}). Each call is routed as {@link KeyringClient} describes; the first time a call goes
 * to a member, a physical session is opened there and logged in with the remembered role and
 * password. When a member says a physical session is gone (CKR_SESSION_HANDLE_INVALID,
 * CKR_SESSION_CLOSED, or CKR_USER_NOT_LOGGED_IN while this session is logged in: the member
 * restarted or expired it), it is opened and logged in again once and the call repeated, without
 * the application noticing. A {@link KeyringOperation} stays on the member where it started. {@link
 * #login} drops the physical sessions on the other members (they are opened again, logged in, when
 * needed); {@link #logout()} and {@link #close()} apply to every physical session, skipping members
 * that are down (those close the session after their idle timeout).
 *
 * <p>Refusals by a member are {@link HsmException}s with their PKCS#11 code (CKR_PIN_INCORRECT,
 * CKR_OBJECT_HANDLE_INVALID, ...); network failures are {@link TransportException}s. Reads, sign,
 * verify, encrypt, decrypt and random are repeated once on the same member after a broken
 * connection, and on another member when that one is down; writes are repeated only when their
 * request was not sent.
 *
 * <p>Thread-safe: calls may run concurrently (the member serializes what must be). {@link #close()}
 * closes the session on every member and logs it out.
 */
public final class KeyringSessionHandle implements KeyringChannel {
  private static final System.Logger LOG = System.getLogger(KeyringSessionHandle.class.getName());

  /** A call on one physical session. */
  @FunctionalInterface
  private interface SessionCall<T> {
    T apply(HttpTransport transport, String sessionId) throws TransportException;
  }

  private final KeyringClient client;
  private final MemberLink firstMember;
  private final String firstId;
  private final UUID keyringId;
  private final String keyringLabel;
  private final Map<MemberLink, String> physical = new ConcurrentHashMap<>();
  // guards opening physical sessions and the credentials
  private final Object lock = new Object();
  private Role role;
  private char[] password;
  private volatile boolean closed;

  KeyringSessionHandle(
      KeyringClient client, MemberLink first, String id, UUID keyringId, String keyringLabel) {
    this.client = client;
    this.firstMember = first;
    this.firstId = id;
    this.keyringId = keyringId;
    this.keyringLabel = keyringLabel;
    physical.put(first, id);
  }

  /**
   * The member's id for this session's physical session on the member that opened it (it may change
   * when that member restarts). The session may hold further physical sessions on other members.
   */
  public String id() {
    return physical.getOrDefault(firstMember, firstId);
  }

  public UUID keyringId() {
    return keyringId;
  }

  public String keyringLabel() {
    return keyringLabel;
  }

  public boolean isOpen() {
    return !closed;
  }

  /** Whether a login succeeded and no logout followed: the role is replayed on other members. */
  public boolean isLoggedIn() {
    synchronized (lock) {
      return role != null;
    }
  }

  // ---- roles

  /**
   * Logs in as {@code role} with the keyring's password (the two roles share it). On success the
   * role and password are remembered for the session's physical sessions on other members.
   */
  public void login(Role role, String password) throws TransportException {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(password, "password");
    requireOpen();
    MemberLink on =
        router()
            .execute(
                Access.READ,
                "login",
                m -> {
                  onMember(
                      m,
                      (t, sid) ->
                          t.post(
                              loginMessage(role, password),
                              Void.class,
                              false,
                              "v1",
                              "sessions",
                              sid,
                              "login"));
                  return m;
                });
    synchronized (lock) {
      clearCredentials();
      this.role = role;
      this.password = password.toCharArray();
    }
    dropPhysicalSessionsExcept(on);
  }

  /**
   * Logs out on every member this session reached (members that are down forget the login with the
   * session). The remembered role and password are cleared first, whatever happens.
   *
   * @throws HsmException CKR_USER_NOT_LOGGED_IN if the session was not logged in anywhere
   */
  public void logout() throws TransportException {
    requireOpen();
    synchronized (lock) {
      clearCredentials();
    }
    boolean done = false;
    HsmException refused = null;
    TransportException broken = null;
    for (Map.Entry<MemberLink, String> e : new ArrayList<>(physical.entrySet())) {
      MemberLink m = e.getKey();
      if (!m.up()) {
        forgetPhysical(m, e.getValue(), false);
        continue;
      }
      boolean answered = false;
      m.begin();
      try {
        m.transport().post(null, Void.class, false, "v1", "sessions", e.getValue(), "logout");
        answered = true;
        done = true;
      } catch (HsmException x) {
        answered = true;
        if (lostSessionCode(x.code())) {
          forgetPhysical(m, e.getValue(), false);
        } else if (refused == null) {
          refused = x;
        }
      } catch (TransportException x) {
        // not known to be logged out there: never use that session again
        forgetPhysical(m, e.getValue(), true);
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
   * Changes the password both roles share (required after the first KRSO login); the remembered
   * password follows.
   */
  public void changePassword(String oldPassword, String newPassword) throws TransportException {
    Objects.requireNonNull(newPassword, "newPassword");
    post(
        Access.WRITE,
        "password",
        new CryptoMessages.ChangePassword(oldPassword, newPassword),
        Void.class,
        false);
    synchronized (lock) {
      if (role != null) {
        Arrays.fill(password, '\0');
        password = newPassword.toCharArray();
      }
    }
  }

  /** Initializes the KRCO role (as the KRSO), with the keyring's password. */
  public void initKrco(String password) throws TransportException {
    post(Access.WRITE, "init-krco", new CryptoMessages.InitKrco(password), Void.class, false);
  }

  // ---- objects

  public KeyringKeyPair generateKeyPair(
      KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException {
    CryptoMessages.KeyPairInfo kp =
        post(
            Access.WRITE,
            "keypairs",
            new CryptoMessages.GenerateKeyPair(
                WireTypes.keySpec(params),
                WireTypes.template(publicTemplate),
                WireTypes.template(privateTemplate)),
            CryptoMessages.KeyPairInfo.class,
            false);
    return new KeyringKeyPair(WireTypes.object(kp.publicKey()), WireTypes.object(kp.privateKey()));
  }

  /** Generates a secret key (AES or generic secret). */
  public KeyringObject generateKey(KeyGenParams params, Attributes template)
      throws TransportException {
    return WireTypes.object(
        post(
            Access.WRITE,
            "keys",
            new CryptoMessages.GenerateKey(WireTypes.keySpec(params), WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            false));
  }

  /** Creates an object (data, certificate, public key, or an imported secret value). */
  public KeyringObject createObject(Attributes template) throws TransportException {
    return WireTypes.object(
        post(
            Access.WRITE,
            "objects",
            new CryptoMessages.CreateObject(WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            false));
  }

  /** The objects whose attributes include every attribute of {@code template}. */
  public List<KeyringObject> findObjects(Attributes template) throws TransportException {
    CryptoMessages.ObjectList list =
        post(
            Access.READ,
            "objects/find",
            new CryptoMessages.FindObjects(WireTypes.template(template)),
            CryptoMessages.ObjectList.class,
            true);
    List<KeyringObject> out = new ArrayList<>();
    if (list.objects() != null) {
      for (CryptoMessages.ObjectInfo o : list.objects()) {
        out.add(WireTypes.object(o));
      }
    }
    return List.copyOf(out);
  }

  public KeyringObject getObject(long handle) throws TransportException {
    return WireTypes.object(
        onCluster(
            Access.READ,
            "get object",
            (t, sid) ->
                t.get(
                    CryptoMessages.ObjectInfo.class,
                    "v1",
                    "sessions",
                    sid,
                    "objects",
                    Long.toString(handle))));
  }

  /** Changes attributes of an object; returns it as it is now. */
  public KeyringObject setAttributes(long handle, Attributes changes) throws TransportException {
    CryptoMessages.SetAttributes body =
        new CryptoMessages.SetAttributes(WireTypes.template(changes));
    return WireTypes.object(
        onCluster(
            Access.WRITE,
            "set attributes",
            (t, sid) ->
                t.patch(
                    body,
                    CryptoMessages.ObjectInfo.class,
                    "v1",
                    "sessions",
                    sid,
                    "objects",
                    Long.toString(handle))));
  }

  public void destroyObject(long handle) throws TransportException {
    onCluster(
        Access.WRITE,
        "destroy object",
        (t, sid) -> {
          t.delete("v1", "sessions", sid, "objects", Long.toString(handle));
          return null;
        });
  }

  // ---- cryptography

  public byte[] sign(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return crypto("sign", key, mechanism, params, data);
  }

  /** Whether {@code signature} is valid; a malformed signature is simply not valid. */
  public boolean verify(
      long key, Mechanism mechanism, MechanismParams params, byte[] data, byte[] signature)
      throws TransportException {
    Objects.requireNonNull(signature, "signature");
    CryptoMessages.VerifyResult r =
        post(
            Access.READ,
            "verify",
            new CryptoMessages.CryptoRequest(
                key, WireTypes.mechanism(mechanism, params), requireData(data), signature),
            CryptoMessages.VerifyResult.class,
            true);
    return r.valid();
  }

  public byte[] encrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return crypto("encrypt", key, mechanism, params, data);
  }

  public byte[] decrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return crypto("decrypt", key, mechanism, params, data);
  }

  /** Wraps {@code key} under {@code wrappingKey}. */
  public byte[] wrapKey(long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException {
    return post(
            Access.READ,
            "wrap",
            new CryptoMessages.Wrap(wrappingKey, WireTypes.mechanism(mechanism, params), key),
            CryptoMessages.CryptoResult.class,
            false)
        .data();
  }

  /** Unwraps {@code wrapped} under {@code unwrappingKey} into a new object. */
  public KeyringObject unwrapKey(
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template)
      throws TransportException {
    Objects.requireNonNull(wrapped, "wrapped");
    return WireTypes.object(
        post(
            Access.WRITE,
            "unwrap",
            new CryptoMessages.Unwrap(
                unwrappingKey,
                WireTypes.mechanism(mechanism, params),
                wrapped,
                WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            false));
  }

  /** Derives a new key from {@code baseKey} (ECDH with the peer's public key in the params). */
  public KeyringObject deriveKey(
      long baseKey, Mechanism mechanism, MechanismParams params, Attributes template)
      throws TransportException {
    return WireTypes.object(
        post(
            Access.WRITE,
            "derive",
            new CryptoMessages.Derive(
                baseKey, WireTypes.mechanism(mechanism, params), WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            false));
  }

  /** {@code length} random bytes from the HSM. */
  public byte[] random(int length) throws TransportException {
    return post(
            Access.READ,
            "random",
            new CryptoMessages.RandomRequest(length),
            CryptoMessages.CryptoResult.class,
            true)
        .data();
  }

  /**
   * Starts a multi-part operation; feed it with {@link KeyringOperation#update}. It stays on the
   * member it started on.
   */
  public KeyringOperation startOperation(
      KeyringOperation.Kind kind, long key, Mechanism mechanism, MechanismParams params)
      throws TransportException {
    Objects.requireNonNull(kind, "kind");
    CryptoMessages.StartOperation body =
        new CryptoMessages.StartOperation(
            kind.name().toLowerCase(Locale.ROOT), key, WireTypes.mechanism(mechanism, params));
    requireOpen();
    return router()
        .execute(
            Access.READ,
            "operations",
            m ->
                onMember(
                    m,
                    (t, sid) -> {
                      CryptoMessages.OperationInfo op =
                          t.post(
                              body,
                              CryptoMessages.OperationInfo.class,
                              false,
                              "v1",
                              "sessions",
                              sid,
                              "operations");
                      if (op.operationId() == null || op.operationId().isEmpty()) {
                        throw new TransportException(
                            TransportException.Kind.PROTOCOL,
                            t.name() + ": the member started an operation without an id");
                      }
                      String opId = op.operationId();
                      return new KeyringOperation(
                          kind,
                          (part, last, signature) -> {
                            requireOpen();
                            boolean answered = false;
                            m.begin();
                            try {
                              dev.keyring.client.channel.PartResult r;
                              CryptoMessages.OperationPart partBody =
                                  new CryptoMessages.OperationPart(part, last, signature);
                              if (!last) {
                                m.transport()
                                    .post(
                                        partBody,
                                        Void.class,
                                        false,
                                        "v1",
                                        "sessions",
                                        sid,
                                        "operations",
                                        opId);
                                r = dev.keyring.client.channel.PartResult.NONE;
                              } else if (kind == KeyringOperation.Kind.VERIFY) {
                                r =
                                    new dev.keyring.client.channel.PartResult(
                                        null,
                                        m.transport()
                                            .post(
                                                partBody,
                                                CryptoMessages.VerifyResult.class,
                                                false,
                                                "v1",
                                                "sessions",
                                                sid,
                                                "operations",
                                                opId)
                                            .valid());
                              } else {
                                r =
                                    new dev.keyring.client.channel.PartResult(
                                        m.transport()
                                            .post(
                                                partBody,
                                                CryptoMessages.CryptoResult.class,
                                                false,
                                                "v1",
                                                "sessions",
                                                sid,
                                                "operations",
                                                opId)
                                            .data(),
                                        false);
                              }
                              answered = true;
                              return r;
                            } catch (HsmException e) {
                              answered = true;
                              throw e;
                            } finally {
                              m.end(answered);
                            }
                          });
                    }));
  }

  // ---- life cycle

  /**
   * Closes the session on every member it reached, which logs it out and drops its operations, and
   * clears the remembered password. Closing twice does nothing. A session a member already expired
   * counts as closed; members that are down are not asked (they close it after their idle timeout).
   *
   * @throws TransportException if a member that is up could not be told (it closes the session
   *     itself after its idle timeout); the session is unusable here either way
   */
  @Override
  public void close() throws TransportException {
    closeEverywhere();
  }

  @Override
  public String toString() {
    return "KeyringSessionHandle["
        + keyringLabel
        + " ("
        + keyringId
        + ")"
        + (closed ? ", closed" : "")
        + "]";
  }

  // ---- physical sessions

  /** Opens a physical session on {@code m} for the keyring with this label or id. */
  static CryptoMessages.SessionInfo openOn(MemberLink m, String keyringLabelOrId)
      throws TransportException {
    CryptoMessages.SessionInfo info =
        m.transport()
            .post(
                new CryptoMessages.OpenSession(keyringLabelOrId),
                CryptoMessages.SessionInfo.class,
                false,
                "v1",
                "sessions");
    if (info.sessionId() == null || info.sessionId().isEmpty()) {
      throw new TransportException(
          TransportException.Kind.PROTOCOL,
          m.transport().name() + ": the member opened a session without an id");
    }
    m.sessionOpened();
    return info;
  }

  /** Closes every physical session; the first failure on a member that is up is thrown. */
  void closeEverywhere() throws TransportException {
    List<Map.Entry<MemberLink, String>> open;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      clearCredentials();
      open = new ArrayList<>(physical.entrySet());
      physical.clear();
    }
    TransportException broken = null;
    HsmException refused = null;
    try {
      for (Map.Entry<MemberLink, String> e : open) {
        MemberLink m = e.getKey();
        m.sessionClosed();
        if (!m.up()) {
          continue; // the member closes it after its idle timeout
        }
        try {
          m.transport().delete("v1", "sessions", e.getValue());
        } catch (HsmException x) {
          if (!lostSessionCode(x.code()) && refused == null) {
            refused = x;
          }
        } catch (TransportException x) {
          if (broken == null) {
            broken = x;
          }
        }
      }
    } finally {
      client.forget(this);
    }
    if (broken != null) {
      throw broken;
    }
    if (refused != null) {
      throw refused;
    }
  }

  private ClusterRouter router() {
    return client.router();
  }

  String requireOpen() {
    if (closed) {
      throw new HsmException(
          ResultCode.CKR_SESSION_CLOSED,
          "the session on keyring '" + keyringLabel + "' is closed; open a new one");
    }
    return id();
  }

  /** Routes {@code call} to a member and runs it on this session's physical session there. */
  private <T> T onCluster(Access access, String what, SessionCall<T> call)
      throws TransportException {
    requireOpen();
    return router().execute(access, what, m -> onMember(m, call));
  }

  /**
   * Runs {@code call} on the physical session on {@code m} (opened and logged in if need be); when
   * the member says that session is gone, opens and logs in a new one and repeats the call once.
   */
  private <T> T onMember(MemberLink m, SessionCall<T> call) throws TransportException {
    String sid = physicalSession(m);
    try {
      return call.apply(m.transport(), sid);
    } catch (HsmException e) {
      if (!lostSession(e.code())) {
        throw e;
      }
      String fresh = reopen(m, sid);
      return call.apply(m.transport(), fresh);
    }
  }

  private String physicalSession(MemberLink m) throws TransportException {
    String sid = physical.get(m);
    if (sid != null) {
      return sid;
    }
    synchronized (lock) {
      sid = physical.get(m);
      if (sid != null) {
        return sid;
      }
      requireOpen();
      sid = openAndLogIn(m);
      physical.put(m, sid);
      return sid;
    }
  }

  /** Replaces {@code broken} on {@code m} (unless another thread already did). */
  private String reopen(MemberLink m, String broken) throws TransportException {
    synchronized (lock) {
      String current = physical.get(m);
      if (current != null && !current.equals(broken)) {
        return current;
      }
      requireOpen();
      if (current != null) {
        forgetPhysical(m, current, true);
      }
      String fresh = openAndLogIn(m);
      physical.put(m, fresh);
      LOG.log(
          System.Logger.Level.DEBUG,
          "the session on keyring '"
              + keyringLabel
              + "' was lost on "
              + m.describe()
              + "; opened "
              + (role != null ? "and logged in " : "")
              + "again");
      return fresh;
    }
  }

  /** A new physical session on {@code m}, logged in as this session is. Called under lock. */
  private String openAndLogIn(MemberLink m) throws TransportException {
    String sid = openOn(m, keyringId.toString()).sessionId();
    if (role != null) {
      try {
        m.transport()
            .post(
                loginMessage(role, new String(password)),
                Void.class,
                false,
                "v1",
                "sessions",
                sid,
                "login");
      } catch (TransportException | RuntimeException e) {
        m.sessionClosed();
        deleteQuietly(m, sid);
        throw e;
      }
    }
    return sid;
  }

  private void dropPhysicalSessionsExcept(MemberLink keep) {
    for (Map.Entry<MemberLink, String> e : new ArrayList<>(physical.entrySet())) {
      if (e.getKey() != keep) {
        forgetPhysical(e.getKey(), e.getValue(), true);
      }
    }
  }

  /** Stops using {@code sid} on {@code m}; {@code delete} asks the member to close it too. */
  private void forgetPhysical(MemberLink m, String sid, boolean delete) {
    if (physical.remove(m, sid)) {
      m.sessionClosed();
      if (delete && m.up()) {
        deleteQuietly(m, sid);
      }
    }
  }

  private void deleteQuietly(MemberLink m, String sid) {
    try {
      m.transport().delete("v1", "sessions", sid);
    } catch (TransportException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.DEBUG,
          "closing a session on " + m.describe() + " failed; it expires there: " + e.getMessage());
    }
  }

  private boolean lostSession(ResultCode code) {
    return lostSessionCode(code) || (code == ResultCode.CKR_USER_NOT_LOGGED_IN && isLoggedIn());
  }

  private static boolean lostSessionCode(ResultCode code) {
    return code == ResultCode.CKR_SESSION_HANDLE_INVALID || code == ResultCode.CKR_SESSION_CLOSED;
  }

  private static CryptoMessages.Login loginMessage(Role role, String password) {
    return new CryptoMessages.Login(role.name().toLowerCase(Locale.ROOT), password);
  }

  /** Called under lock. */
  private void clearCredentials() {
    role = null;
    if (password != null) {
      Arrays.fill(password, '\0');
      password = null;
    }
  }

  private byte[] crypto(
      String op, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return post(
            Access.READ,
            op,
            new CryptoMessages.CryptoRequest(
                key, WireTypes.mechanism(mechanism, params), requireData(data), null),
            CryptoMessages.CryptoResult.class,
            true)
        .data();
  }

  private static byte[] requireData(byte[] data) {
    return Objects.requireNonNull(data, "data");
  }

  private <T> T post(Access access, String op, Object body, Class<T> answer, boolean idempotent)
      throws TransportException {
    String[] path = op.split("/");
    return onCluster(
        access,
        op,
        (t, sid) -> {
          String[] full = new String[3 + path.length];
          full[0] = "v1";
          full[1] = "sessions";
          full[2] = sid;
          System.arraycopy(path, 0, full, 3, path.length);
          return t.post(body, answer, idempotent, full);
        });
  }
}
