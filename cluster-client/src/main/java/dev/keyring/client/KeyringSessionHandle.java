package dev.keyring.client;

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
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * A session on one keyring of the cluster, opened by {@link KeyringClient#openSession(String)}. Log
 * in as the KRSO (with the initial password, which must then be changed, and to initialize the
 * KRCO) or as the KRCO (to generate and use keys). Every object handle names an object of this
 * session's keyring only.
 *
 * <p>Refusals by the member are {@link HsmException}s with their PKCS#11 code (CKR_PIN_INCORRECT,
 * CKR_OBJECT_HANDLE_INVALID, ...); network failures are {@link TransportException}s. Reads, sign,
 * verify, encrypt, decrypt and random are repeated once after a broken connection; the other calls
 * only when their request was not sent.
 *
 * <p>Thread-safe: calls may run concurrently (the member serializes what must be). {@link #close()}
 * closes the session on the member and logs it out.
 */
public final class KeyringSessionHandle implements AutoCloseable {
  private final KeyringClient client;
  private final String id;
  private final UUID keyringId;
  private final String keyringLabel;
  private volatile boolean closed;

  KeyringSessionHandle(KeyringClient client, String id, UUID keyringId, String keyringLabel) {
    this.client = client;
    this.id = id;
    this.keyringId = keyringId;
    this.keyringLabel = keyringLabel;
  }

  /** The member's id for this session. */
  public String id() {
    return id;
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

  // ---- roles

  /** Logs in as {@code role} with the keyring's password (the two roles share it). */
  public void login(Role role, String password) throws TransportException {
    Objects.requireNonNull(role, "role");
    post(
        "login",
        new CryptoMessages.Login(role.name().toLowerCase(Locale.ROOT), password),
        Void.class,
        false);
  }

  public void logout() throws TransportException {
    post("logout", null, Void.class, false);
  }

  /** Changes the password both roles share (required after the first KRSO login). */
  public void changePassword(String oldPassword, String newPassword) throws TransportException {
    post(
        "password", new CryptoMessages.ChangePassword(oldPassword, newPassword), Void.class, false);
  }

  /** Initializes the KRCO role (as the KRSO), with the keyring's password. */
  public void initKrco(String password) throws TransportException {
    post("init-krco", new CryptoMessages.InitKrco(password), Void.class, false);
  }

  // ---- objects

  public KeyringKeyPair generateKeyPair(
      KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException {
    CryptoMessages.KeyPairInfo kp =
        post(
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
            "keys",
            new CryptoMessages.GenerateKey(WireTypes.keySpec(params), WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            false));
  }

  /** Creates an object (data, certificate, public key, or an imported secret value). */
  public KeyringObject createObject(Attributes template) throws TransportException {
    return WireTypes.object(
        post(
            "objects",
            new CryptoMessages.CreateObject(WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            false));
  }

  /** The objects whose attributes include every attribute of {@code template}. */
  public List<KeyringObject> findObjects(Attributes template) throws TransportException {
    String sid = requireOpen();
    CryptoMessages.ObjectList list =
        transport()
            .post(
                new CryptoMessages.FindObjects(WireTypes.template(template)),
                CryptoMessages.ObjectList.class,
                true,
                "v1",
                "sessions",
                sid,
                "objects",
                "find");
    List<KeyringObject> out = new ArrayList<>();
    if (list.objects() != null) {
      for (CryptoMessages.ObjectInfo o : list.objects()) {
        out.add(WireTypes.object(o));
      }
    }
    return List.copyOf(out);
  }

  public KeyringObject getObject(long handle) throws TransportException {
    String sid = requireOpen();
    return WireTypes.object(
        transport()
            .get(
                CryptoMessages.ObjectInfo.class,
                "v1",
                "sessions",
                sid,
                "objects",
                Long.toString(handle)));
  }

  /** Changes attributes of an object; returns it as it is now. */
  public KeyringObject setAttributes(long handle, Attributes changes) throws TransportException {
    String sid = requireOpen();
    return WireTypes.object(
        transport()
            .patch(
                new CryptoMessages.SetAttributes(WireTypes.template(changes)),
                CryptoMessages.ObjectInfo.class,
                "v1",
                "sessions",
                sid,
                "objects",
                Long.toString(handle)));
  }

  public void destroyObject(long handle) throws TransportException {
    String sid = requireOpen();
    transport().delete("v1", "sessions", sid, "objects", Long.toString(handle));
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
            "derive",
            new CryptoMessages.Derive(
                baseKey, WireTypes.mechanism(mechanism, params), WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            false));
  }

  /** {@code length} random bytes from the HSM. */
  public byte[] random(int length) throws TransportException {
    return post(
            "random",
            new CryptoMessages.RandomRequest(length),
            CryptoMessages.CryptoResult.class,
            true)
        .data();
  }

  /** Starts a multi-part operation; feed it with {@link KeyringOperation#update}. */
  public KeyringOperation startOperation(
      KeyringOperation.Kind kind, long key, Mechanism mechanism, MechanismParams params)
      throws TransportException {
    Objects.requireNonNull(kind, "kind");
    CryptoMessages.OperationInfo op =
        post(
            "operations",
            new CryptoMessages.StartOperation(
                kind.name().toLowerCase(Locale.ROOT), key, WireTypes.mechanism(mechanism, params)),
            CryptoMessages.OperationInfo.class,
            false);
    if (op.operationId() == null || op.operationId().isEmpty()) {
      throw new TransportException(
          TransportException.Kind.PROTOCOL,
          transport().name() + ": the member started an operation without an id");
    }
    return new KeyringOperation(this, op.operationId(), kind);
  }

  // ---- life cycle

  /**
   * Closes the session on the member, which logs it out and drops its operations. Closing twice
   * does nothing. A session the member already expired counts as closed.
   *
   * @throws TransportException if the member could not be told (it closes the session itself after
   *     its idle timeout); the session is unusable here either way
   */
  @Override
  public void close() throws TransportException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      transport().delete("v1", "sessions", id);
    } catch (HsmException e) {
      if (e.code() != ResultCode.CKR_SESSION_HANDLE_INVALID
          && e.code() != ResultCode.CKR_SESSION_CLOSED) {
        throw e;
      }
    } finally {
      client.forget(this);
    }
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

  // ---- helpers

  void markClosed() {
    closed = true;
  }

  HttpTransport transport() {
    return client.transport();
  }

  String requireOpen() {
    if (closed) {
      throw new HsmException(
          ResultCode.CKR_SESSION_CLOSED,
          "the session on keyring '" + keyringLabel + "' is closed; open a new one");
    }
    return id;
  }

  private byte[] crypto(
      String op, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return post(
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

  private <T> T post(String op, Object body, Class<T> answer, boolean idempotent)
      throws TransportException {
    String sid = requireOpen();
    return transport().post(body, answer, idempotent, "v1", "sessions", sid, op);
  }
}
