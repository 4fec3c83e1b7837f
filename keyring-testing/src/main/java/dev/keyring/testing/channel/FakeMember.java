package dev.keyring.testing.channel;

import static dev.keyring.testing.channel.FakeCrypto.required;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.PartResult;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.SessionInfo;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * An in-memory member of a {@link FakeCluster}: it answers every {@link MemberChannel} call as a
 * member does, with its own physical sessions and logins, on keyrings and objects that every member
 * of the cluster shares (a write on one is seen on all, as an acknowledged write is). Cryptography
 * is real, in software; key values stay inside and appear in no answer, message or {@code
 * toString()}.
 *
 * <p>Faults, for tests of recovery:
 *
 * <ul>
 *   <li>{@link #down()} / {@link #up()}: calls fail with a {@code CONNECT} {@link
 *       TransportException} (nothing was sent); sessions survive, as across a network cut;
 *   <li>{@link #loseSessions()}: the member forgets its sessions, as after a restart; the next call
 *       on one is refused with CKR_SESSION_HANDLE_INVALID;
 *   <li>{@link #cutOffNextWrite()}: the next write is carried out, then its answer is lost: the
 *       call fails with an {@code IO} {@link TransportException};
 *   <li>{@link #failNextCall(TransportException.Kind)}: the next call of any kind fails; {@code IO}
 *       and {@code PROTOCOL} after the member carried it out (the answer was lost, or unreadable),
 *       {@code CONNECT}, {@code TLS} and {@code CONFIGURATION} before it reached the member;
 *   <li>{@link #readOnly(boolean)}: writes are refused with CKR_TOKEN_WRITE_PROTECTED, as by a
 *       member that lost the primary;
 *   <li>{@link #lagBehind()} / {@link #catchUp()}: the member stops applying the cluster's log (its
 *       reads see the keyrings as they were) and refuses with CKR_MEMBER_BEHIND what is behind the
 *       client's position; only the cluster's {@linkplain FakeCluster#primary() primary} answers
 *       {@link #findObjectsOnPrimary}.
 *   <li>{@link #holdNext(String)}: the next call of a method is carried out, its answer held.
 * </ul>
 *
 * <p>{@link #calls(String)} counts the calls that reached the member, by method name ({@code
 * "sign"}, {@code "generateKeyPair"}, ...), so a test can tell where calls went and that a write
 * cut off was not sent again. Thread-safe.
 */
public final class FakeMember implements MemberChannel {
  private final String name;
  private final FakeCluster cluster;
  private final FakeSessionTable sessions;
  private final FakeReplica replica;
  private final FakeWire wire;

  FakeMember(String name, FakeCluster cluster) {
    this.name = name;
    this.cluster = cluster;
    this.sessions = new FakeSessionTable(name);
    this.replica = new FakeReplica(cluster, this);
    this.wire = new FakeWire(name, replica);
  }

  // ---- faults

  /** From now on, calls fail as if the member's address refused connections. */
  public void down() {
    wire.down = true;
  }

  /** The member answers again, with the sessions it had. */
  public void up() {
    wire.down = false;
  }

  public boolean isDown() {
    return wire.down;
  }

  /** The member forgets every session (and so every login), as after a restart. */
  public void loseSessions() {
    sessions.clear();
  }

  /** The next write is carried out, then the connection breaks before its answer arrives. */
  public void cutOffNextWrite() {
    wire.cutOffNextWrite.set(true);
  }

  /**
   * The next call fails with {@code kind}: {@code IO} and {@code PROTOCOL} after the member carried
   * it out, the other kinds before it reached the member.
   */
  public void failNextCall(TransportException.Kind kind) {
    wire.failNext.set(Objects.requireNonNull(kind, "kind"));
  }

  /** The next call of {@code method} is carried out, then its answer held ({@link FakeHold}). */
  public FakeHold holdNext(String method) {
    return wire.holdNext(Objects.requireNonNull(method, "method"));
  }

  /** Whether writes are refused with CKR_TOKEN_WRITE_PROTECTED. */
  public void readOnly(boolean readOnly) {
    wire.readOnly = readOnly;
  }

  public boolean isReadOnly() {
    return wire.readOnly;
  }

  /** The member stops applying the cluster's log where it is now (not on the primary). */
  public void lagBehind() {
    replica.lag();
  }

  /** The member holds every write again. */
  public void catchUp() {
    replica.catchUp();
  }

  public boolean isLagging() {
    return replica.lagging();
  }

  public boolean isPrimary() {
    return cluster.primary() == this;
  }

  // ---- counters

  /** Calls that reached this member (answered or refused), of every kind. */
  public int calls() {
    return wire.calls();
  }

  /** Calls of {@code method} (a {@link MemberChannel} method name) that reached this member. */
  public int calls(String method) {
    return wire.calls(method);
  }

  /** Sessions open on this member. */
  public int openSessions() {
    return sessions.size();
  }

  // ---- the member's calls

  @Override
  public String name() {
    return name;
  }

  @Override
  public void health() throws TransportException {
    serve("health", false, () -> null);
  }

  @Override
  public List<Slot> slots() throws TransportException {
    return serve("slots", false, cluster::slots);
  }

  @Override
  public SessionInfo openSession(String keyringLabelOrId, String sessionId)
      throws TransportException {
    return serve(
        "openSession",
        false,
        () -> {
          FakeKeyring k = cluster.keyring(keyringLabelOrId);
          String id = sessions.open(sessionId, k).id();
          return new SessionInfo(id, k.id(), k.label());
        });
  }

  @Override
  public void closeSession(String sessionId) throws TransportException {
    serve(
        "closeSession",
        false,
        () -> {
          sessions.close(sessionId);
          return null;
        });
  }

  @Override
  public void login(String sessionId, Role role, String password) throws TransportException {
    serve(
        "login",
        false,
        () -> {
          session(sessionId).login(role, password);
          return null;
        });
  }

  @Override
  public void logout(String sessionId) throws TransportException {
    serve(
        "logout",
        false,
        () -> {
          session(sessionId).logout();
          return null;
        });
  }

  @Override
  public void changePassword(String sessionId, String oldPassword, String newPassword)
      throws TransportException {
    serve(
        "changePassword",
        true,
        () -> {
          FakeSession s = session(sessionId);
          s.requireLogin();
          s.keyring().changePassword(oldPassword, newPassword);
          return null;
        });
  }

  @Override
  public void initKrco(String sessionId, String password) throws TransportException {
    serve(
        "initKrco",
        true,
        () -> {
          FakeSession s = session(sessionId);
          if (s.requireLogin() != Role.KRSO) {
            throw new HsmException(
                ResultCode.CKR_USER_TYPE_INVALID, "only the KRSO initializes the KRCO");
          }
          s.keyring().initKrco(password);
          return null;
        });
  }

  @Override
  public KeyringKeyPair generateKeyPair(
      String sessionId, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException {
    return serve(
        "generateKeyPair",
        true,
        () -> {
          List<FakeObject> pair =
              FakeKeys.generateKeyPair(crypto(sessionId), params, publicTemplate, privateTemplate);
          return new KeyringKeyPair(pair.get(0).toKeyringObject(), pair.get(1).toKeyringObject());
        });
  }

  @Override
  public KeyringObject generateKey(String sessionId, KeyGenParams params, Attributes template)
      throws TransportException {
    return serve(
        "generateKey",
        true,
        () -> FakeKeys.generateKey(crypto(sessionId), params, template).toKeyringObject());
  }

  @Override
  public KeyringObject createObject(String sessionId, Attributes template)
      throws TransportException {
    return serve(
        "createObject",
        true,
        () -> FakeKeys.createObject(crypto(sessionId), template).toKeyringObject());
  }

  @Override
  public List<KeyringObject> findObjects(String sessionId, Attributes template)
      throws TransportException {
    return serve(
        "findObjects",
        false,
        () -> {
          List<KeyringObject> out = new ArrayList<>();
          for (FakeObject o : crypto(sessionId).find(template, replica.readAt())) {
            out.add(o.toKeyringObject());
          }
          return List.copyOf(out);
        });
  }

  @Override
  public CloningMessages.CloningOffer cloningOffer(String sessionId) throws TransportException {
    return serve("cloningOffer", false, FakeMember::noCloning);
  }

  @Override
  public List<CloningMessages.ClonableObject> clonableObjects(String sessionId)
      throws TransportException {
    return serve("clonableObjects", false, FakeMember::noCloning);
  }

  @Override
  public byte[] cloneOut(String sessionId, long handle, CloningMessages.CloningOffer offer)
      throws TransportException {
    return serve("cloneOut", false, FakeMember::noCloning);
  }

  @Override
  public KeyringObject cloneIn(String sessionId, byte[] bundle) throws TransportException {
    return serve("cloneIn", true, FakeMember::noCloning);
  }

  /** Cloning needs two HSM boundaries: HA group tests use real members; a fake refuses. */
  private static <T> T noCloning() {
    throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "a fake member does not clone objects");
  }

  @Override
  public KeyringObject getObject(String sessionId, long handle) throws TransportException {
    return serve(
        "getObject",
        false,
        () -> {
          FakeSession s = session(sessionId);
          s.requireLogin();
          return s.keyring().get(handle, replica.readAt()).toKeyringObject();
        });
  }

  @Override
  public List<KeyringObject> findObjectsOnPrimary(String sessionId, Attributes template)
      throws TransportException {
    return serve(
        "findObjectsOnPrimary",
        false,
        true,
        () -> {
          List<KeyringObject> out = new ArrayList<>();
          for (FakeObject o : crypto(sessionId).find(template)) {
            out.add(o.toKeyringObject());
          }
          return List.copyOf(out);
        });
  }

  @Override
  public KeyringObject setAttributes(String sessionId, long handle, Attributes changes)
      throws TransportException {
    return serve(
        "setAttributes",
        true,
        () -> {
          for (AttributeType t : changes.types()) {
            if (t != AttributeType.CKA_LABEL
                && t != AttributeType.CKA_ID
                && t != AttributeType.CKA_TOKEN) {
              throw new HsmException(
                  ResultCode.CKR_ATTRIBUTE_READ_ONLY,
                  t + " cannot be changed after creation; only CKA_LABEL, CKA_ID and CKA_TOKEN");
            }
          }
          KeyringLimits.checkObjectAttributes(changes);
          return crypto(sessionId).setAttributes(handle, changes).toKeyringObject();
        });
  }

  @Override
  public void destroyObject(String sessionId, long handle) throws TransportException {
    serve(
        "destroyObject",
        true,
        () -> {
          crypto(sessionId).destroy(handle);
          return null;
        });
  }

  @Override
  public byte[] sign(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return serve(
        "sign",
        false,
        () -> FakeCrypto.sign(at(sessionId, key), mechanism, params, required(data)));
  }

  @Override
  public boolean verify(
      String sessionId,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data,
      byte[] signature)
      throws TransportException {
    return serve(
        "verify",
        false,
        () ->
            FakeCrypto.verify(
                at(sessionId, key), mechanism, params, required(data), required(signature)));
  }

  @Override
  public byte[] encrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return serve(
        "encrypt",
        false,
        () -> FakeCrypto.encrypt(at(sessionId, key), mechanism, params, required(data)));
  }

  @Override
  public byte[] decrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return serve(
        "decrypt",
        false,
        () -> FakeCrypto.decrypt(at(sessionId, key), mechanism, params, required(data)));
  }

  @Override
  public byte[] wrapKey(
      String sessionId, long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException {
    return serve(
        "wrapKey",
        false,
        () -> {
          return FakeCrypto.wrap(at(sessionId, wrappingKey), mechanism, params, at(sessionId, key));
        });
  }

  @Override
  public KeyringObject unwrapKey(
      String sessionId,
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template)
      throws TransportException {
    return serve(
        "unwrapKey",
        true,
        () -> {
          FakeKeyring k = crypto(sessionId);
          byte[] plain =
              FakeCrypto.unwrap(k.get(unwrappingKey), mechanism, params, required(wrapped));
          try {
            return FakeKeys.importKey(k, template, plain).toKeyringObject();
          } finally {
            java.util.Arrays.fill(plain, (byte) 0);
          }
        });
  }

  @Override
  public KeyringObject deriveKey(
      String sessionId,
      long baseKey,
      Mechanism mechanism,
      MechanismParams params,
      Attributes template)
      throws TransportException {
    return serve(
        "deriveKey",
        true,
        () -> {
          FakeKeyring k = crypto(sessionId);
          return FakeKeys.derive(k, k.get(baseKey), mechanism, params, template).toKeyringObject();
        });
  }

  @Override
  public byte[] random(String sessionId, int length) throws TransportException {
    return serve(
        "random",
        false,
        () -> {
          crypto(sessionId);
          return FakeCrypto.random(length);
        });
  }

  @Override
  public String startOperation(
      String sessionId,
      KeyringOperation.Kind kind,
      long key,
      Mechanism mechanism,
      MechanismParams params)
      throws TransportException {
    return serve(
        "startOperation",
        false,
        () -> {
          String id = UUID.randomUUID().toString();
          session(sessionId)
              .startOperation(
                  id,
                  new FakeSession.Operation(
                      Objects.requireNonNull(kind, "kind"), key, mechanism, params));
          return id;
        });
  }

  @Override
  public PartResult operationPart(
      String sessionId, String operationId, byte[] part, boolean last, byte[] signature)
      throws TransportException {
    return serve(
        "operationPart",
        false,
        () -> {
          FakeSession s = session(sessionId);
          FakeSession.Operation op = s.operation(operationId, last);
          if (signature != null && (!last || op.kind != KeyringOperation.Kind.VERIFY)) {
            s.dropOperation(operationId);
            throw new HsmException(
                ResultCode.CKR_ARGUMENTS_BAD,
                "a signature goes only with the last part of a verify");
          }
          try {
            op.append(part);
          } catch (HsmException e) {
            s.dropOperation(operationId);
            throw e;
          }
          if (!last) {
            return PartResult.NONE;
          }
          return op.finish(s.requireCrypto().get(op.key, replica.readAt()), signature);
        });
  }

  // ---- how a call is served (see FakeWire)

  private <T> T serve(String method, boolean write, FakeWire.Served<T> call)
      throws TransportException {
    return wire.serve(method, write, false, call);
  }

  private <T> T serve(String method, boolean write, boolean primaryOnly, FakeWire.Served<T> call)
      throws TransportException {
    return wire.serve(method, write, primaryOnly, call);
  }

  private FakeSession session(String sessionId) {
    return sessions.get(sessionId);
  }

  private FakeKeyring crypto(String sessionId) {
    return session(sessionId).requireCrypto();
  }

  /** Key {@code handle} of the session's keyring, as this member holds it. */
  private FakeObject at(String sessionId, long handle) {
    return crypto(sessionId).get(handle, replica.readAt());
  }

  @Override
  public String toString() {
    return "FakeMember["
        + name
        + (wire.down ? ", down" : "")
        + (wire.readOnly ? ", read-only" : "")
        + (replica.lagging() ? ", lagging at " + replica.position() : "")
        + ", "
        + sessions.size()
        + " sessions]";
  }
}
