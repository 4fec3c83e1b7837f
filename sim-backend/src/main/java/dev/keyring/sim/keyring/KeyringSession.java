package dev.keyring.sim.keyring;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.boundary.KeyPairObjects;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import java.util.List;
import java.util.UUID;

/**
 * A logged-in session on one keyring. A KRSO session may change the shared password and initialize
 * the KRCO; only a KRCO session may use and manage keys. While the initial password awaits its
 * change, every other call is refused with CKR_PIN_EXPIRED. Closing the last session of a keyring
 * drops its unwrapped keys from the boundary's cache.
 */
public final class KeyringSession implements AutoCloseable {
  private final KeyringService service;
  private final KeyringStore store;
  private final Boundary boundary;
  private final UUID keyringId;
  private final String label;
  private final Role role;
  private volatile boolean closed;
  private volatile boolean passwordChangeRequired;

  KeyringSession(
      KeyringService service,
      KeyringStore store,
      Boundary boundary,
      UUID keyringId,
      String label,
      Role role,
      boolean passwordChangeRequired) {
    this.passwordChangeRequired = passwordChangeRequired;
    this.service = service;
    this.store = store;
    this.boundary = boundary;
    this.keyringId = keyringId;
    this.label = label;
    this.role = role;
  }

  public UUID keyringId() {
    return keyringId;
  }

  public String label() {
    return label;
  }

  public Role role() {
    return role;
  }

  /** Changes the password the keyring's two roles share. */
  public void changePassword(String oldPassword, String newPassword) {
    requireOpen();
    service.changePassword(keyringId, oldPassword, newPassword);
    passwordChangeRequired = false;
  }

  /** Initializes the KRCO role (KRSO only), with the keyring's shared password. */
  public void initKrco(String password) {
    requireOpen();
    if (role != Role.KRSO) {
      throw new HsmException(
          ResultCode.CKR_USER_TYPE_INVALID, "only the KRSO initializes the KRCO");
    }
    service.initKrco(keyringId, password);
  }

  public KeyPairObjects generateKeyPair(
      KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate) {
    requireCrypto();
    service.requireKeyManagement();
    return boundary.generateKeyPair(keyringId, params, publicTemplate, privateTemplate);
  }

  public ObjectRecord generateKey(KeyGenParams params, Attributes template) {
    requireCrypto();
    service.requireKeyManagement();
    return boundary.generateKey(keyringId, params, template);
  }

  public ObjectRecord createObject(Attributes template) {
    requireCrypto();
    service.requireKeyManagement();
    return boundary.createObject(keyringId, template);
  }

  public ObjectRecord unwrapKey(
      long unwrappingKey, Mechanism m, MechanismParams p, byte[] wrapped, Attributes template) {
    requireCrypto();
    service.requireKeyManagement();
    return boundary.unwrapKey(keyringId, unwrappingKey, m, p, wrapped, template);
  }

  public byte[] wrapKey(long wrappingKey, Mechanism m, MechanismParams p, long key) {
    requireCrypto();
    return boundary.wrapKey(keyringId, wrappingKey, m, p, key);
  }

  public ObjectRecord deriveKey(long baseKey, Mechanism m, MechanismParams p, Attributes template) {
    requireCrypto();
    service.requireKeyManagement();
    return boundary.deriveKey(keyringId, baseKey, m, p, template);
  }

  public byte[] sign(long key, Mechanism m, MechanismParams p, byte[] data) {
    requireCrypto();
    return boundary.sign(keyringId, key, m, p, data);
  }

  public void verify(long key, Mechanism m, MechanismParams p, byte[] data, byte[] signature) {
    requireCrypto();
    boundary.verify(keyringId, key, m, p, data, signature);
  }

  public byte[] encrypt(long key, Mechanism m, MechanismParams p, byte[] data) {
    requireCrypto();
    return boundary.encrypt(keyringId, key, m, p, data);
  }

  public byte[] decrypt(long key, Mechanism m, MechanismParams p, byte[] data) {
    requireCrypto();
    return boundary.decrypt(keyringId, key, m, p, data);
  }

  public ObjectRecord setAttributes(long handle, Attributes changes) {
    requireCrypto();
    service.requireKeyManagement();
    return boundary.setAttributes(keyringId, handle, changes);
  }

  public void destroyObject(long handle) {
    requireCrypto();
    service.requireKeyManagement();
    boundary.destroyObject(keyringId, handle);
  }

  /** The keyring's objects matching every attribute of {@code template}. */
  public List<ObjectRecord> findObjects(Attributes template) {
    requireCrypto();
    return store.findObjects(keyringId, template);
  }

  /** The keyring's cluster's cloning public key (KRCO only): the offer of a clone target. */
  public byte[] cloningPublicKey() {
    requireCrypto();
    return boundary.cloningPublicKey();
  }

  /**
   * Encrypts object {@code handle} for the cluster whose cloning key is {@code targetKey} (KRCO
   * only); the caller has checked the HSM's cloning policies.
   */
  public byte[] cloneOut(long handle, byte[] targetKey, String cloningDomainFingerprint) {
    requireCrypto();
    return boundary.cloneObjectOut(keyringId, handle, targetKey, cloningDomainFingerprint);
  }

  /**
   * Stores an object cloned for this keyring's cluster (KRCO only); the caller has checked the
   * HSM's cloning policies. Cloning is not creation: no key-management permission is needed.
   */
  public ObjectRecord cloneIn(
      byte[] bundle,
      String cloningDomainFingerprint,
      java.util.function.Consumer<dev.keyring.protocol.ObjectClass> admit) {
    requireCrypto();
    service.requireMemberAuthorized();
    return boundary.cloneObjectIn(keyringId, bundle, cloningDomainFingerprint, admit);
  }

  public byte[] random(int length) {
    requireCrypto();
    return boundary.random(length);
  }

  /** Logs out. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      service.sessionClosed(keyringId);
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new HsmException(ResultCode.CKR_SESSION_CLOSED, "this keyring session is closed");
    }
  }

  private void requireCrypto() {
    requireOpen();
    if (passwordChangeRequired) {
      throw new HsmException(
          ResultCode.CKR_PIN_EXPIRED,
          "keyring '" + label + "' still has its initial password: change it first");
    }
    if (role != Role.KRCO) {
      throw new HsmException(
          ResultCode.CKR_USER_NOT_LOGGED_IN,
          "keys of keyring '" + label + "' are used by the KRCO (crypto officer); log in as KRCO");
    }
  }

  @Override
  public String toString() {
    return "KeyringSession[" + label + " " + role + (closed ? " closed" : "") + "]";
  }
}
