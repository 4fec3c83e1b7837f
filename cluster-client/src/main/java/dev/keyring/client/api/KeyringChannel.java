package dev.keyring.client.api;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import java.util.List;
import java.util.UUID;

/**
 * Everything an application does on one keyring slot of a cluster: a logical session, its login,
 * the keyring's objects, and cryptography with them. The provider and the command-line tools talk
 * to this interface only.
 *
 * <p>An implementation hides where the calls go: the cluster's members, over whichever wire (the
 * REST/JSON crypto API today), with recovery (re-open and re-login of a lost session, failover of a
 * call that may be repeated, no repeat of a write cut off on the wire) done in one place, the
 * decorator that {@link dev.keyring.client.KeyringClient#openSession(String)} returns. Callers
 * never retry on their own.
 *
 * <p>Reads see this client's acknowledged writes, whichever member answers them (read-your-writes:
 * a member that has not applied them yet waits briefly or passes the call to the primary); {@link
 * #findObjectsOnPrimary} sees every acknowledged write, other clients' included.
 *
 * <p>Refusals by a member are {@link HsmException}s with their PKCS#11 code; network failures the
 * recovery could not overcome are {@link TransportException}s. Implementations are thread-safe.
 */
public interface KeyringChannel extends AutoCloseable {
  /** The keyring's UUID. */
  UUID keyringId();

  /** The keyring's label. */
  String keyringLabel();

  /** False once {@link #close()} was called. */
  boolean isOpen();

  /** Whether a login succeeded and no logout followed. */
  boolean isLoggedIn();

  // ---- roles

  /** Logs in as {@code role} with the keyring's password (the two roles share it). */
  void login(Role role, String password) throws TransportException;

  /**
   * Logs out; the remembered credentials are cleared first, whatever happens.
   *
   * @throws HsmException CKR_USER_NOT_LOGGED_IN if the session was not logged in
   */
  void logout() throws TransportException;

  /** Changes the password both roles share (required after the first KRSO login). */
  void changePassword(String oldPassword, String newPassword) throws TransportException;

  /** Initializes the KRCO role (as the KRSO), with the keyring's password. */
  void initKrco(String password) throws TransportException;

  // ---- objects

  KeyringKeyPair generateKeyPair(
      KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException;

  /** Generates a secret key (AES or generic secret). */
  KeyringObject generateKey(KeyGenParams params, Attributes template) throws TransportException;

  /** Creates an object (data, certificate, public key, or an imported secret value). */
  KeyringObject createObject(Attributes template) throws TransportException;

  /** The objects whose attributes include every attribute of {@code template}. */
  List<KeyringObject> findObjects(Attributes template) throws TransportException;

  /**
   * The objects whose attributes include every attribute of {@code template}, as the cluster's
   * primary member holds them: for a lookup that decides a destroy or a label change, which must
   * not be answered by a member that has not yet applied every acknowledged write (another client's
   * included). Every call of this client afterwards sees at least what this lookup saw.
   */
  List<KeyringObject> findObjectsOnPrimary(Attributes template) throws TransportException;

  KeyringObject getObject(long handle) throws TransportException;

  /** Changes attributes of an object; returns it as it is now. */
  KeyringObject setAttributes(long handle, Attributes changes) throws TransportException;

  void destroyObject(long handle) throws TransportException;

  // ---- cryptography

  byte[] sign(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException;

  /** Whether {@code signature} is valid; a malformed signature is simply not valid. */
  boolean verify(
      long key, Mechanism mechanism, MechanismParams params, byte[] data, byte[] signature)
      throws TransportException;

  byte[] encrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException;

  byte[] decrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException;

  /** Wraps {@code key} under {@code wrappingKey}. */
  byte[] wrapKey(long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException;

  /** Unwraps {@code wrapped} under {@code unwrappingKey} into a new object. */
  KeyringObject unwrapKey(
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template)
      throws TransportException;

  /** Derives a new key from {@code baseKey} (ECDH with the peer's public key in the params). */
  KeyringObject deriveKey(
      long baseKey, Mechanism mechanism, MechanismParams params, Attributes template)
      throws TransportException;

  /** {@code length} random bytes from the HSM. */
  byte[] random(int length) throws TransportException;

  // ---- cloning (HA groups): the client relays what one HSM encrypted for another

  /**
   * The keyring's cloning offer: its serial number, cloning domain fingerprint, its cluster's
   * cloning public key and the cloning policies of the member that answered.
   */
  CloningMessages.CloningOffer cloningOffer() throws TransportException;

  /** The keyring's objects with the object id that names each one on every keyring it is on. */
  List<CloningMessages.ClonableObject> clonableObjects() throws TransportException;

  /** Object {@code handle} encrypted by the member for the target that made {@code offer}. */
  byte[] cloneOut(long handle, CloningMessages.CloningOffer offer) throws TransportException;

  /**
   * Stores a clone made for this keyring's cluster; a repeat of the same version changes nothing.
   */
  KeyringObject cloneIn(byte[] bundle) throws TransportException;

  /**
   * Starts a multi-part operation; feed it with {@link KeyringOperation#update}. It stays on the
   * member it started on.
   */
  KeyringOperation startOperation(
      KeyringOperation.Kind kind, long key, Mechanism mechanism, MechanismParams params)
      throws TransportException;

  // ---- life cycle

  /**
   * Closes the session wherever it was opened (which logs it out) and clears the remembered
   * password. Closing twice does nothing.
   */
  @Override
  void close() throws TransportException;
}
