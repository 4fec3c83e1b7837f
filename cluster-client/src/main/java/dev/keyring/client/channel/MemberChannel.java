package dev.keyring.client.channel;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.PartResult;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import java.util.List;

/**
 * The calls one member answers, each on one of its physical sessions (named by the id the member
 * gave when it opened it). One implementation per wire: the REST/JSON crypto API ({@code
 * HttpMemberChannel}); fakes in the testing module.
 *
 * <p>An implementation makes exactly one attempt per call: it never resends, never reconnects for a
 * second try, never opens or logs in a session by itself. Deciding what to repeat, where, is the
 * recovering {@link dev.keyring.client.api.KeyringChannel}'s job alone. A refusal is an {@link
 * HsmException}; a failure on the wire is a {@link TransportException} whose {@link
 * TransportException#kind() kind} says whether a connection was made ({@code CONNECT}: the request
 * never left) or the call broke after that ({@code IO}).
 *
 * <p>A wire implementation also carries the cluster's read-your-writes position ({@link
 * ReadYourWrites}, one per cluster): sent with every call, raised by every answer that reports the
 * member's position. A member that cannot honour it refuses the call with CKR_MEMBER_BEHIND before
 * doing anything.
 */
public interface MemberChannel {
  /** The member's name, for messages ("member m1 at 127.0.0.1:1792"). */
  String name();

  /** Whether the member answers at all ({@code GET /v1/health} on the REST wire). */
  void health() throws TransportException;

  /** The cluster's keyrings, as slots. */
  List<Slot> slots() throws TransportException;

  /** Opens a physical session on the keyring with this label or UUID; the member picks its id. */
  default SessionInfo openSession(String keyringLabelOrId) throws TransportException {
    return openSession(keyringLabelOrId, null);
  }

  /**
   * Opens a physical session on the keyring with this label or UUID under {@code sessionId} (32
   * lowercase hex digits picked at random; null: the member picks the id). A client that picked the
   * id can close the session by it when the answer never comes; the member refuses the open with
   * CKR_SESSION_CLOSED if that close reached it first.
   */
  SessionInfo openSession(String keyringLabelOrId, String sessionId) throws TransportException;

  /** Closes a physical session (which logs it out and drops its operations). */
  void closeSession(String sessionId) throws TransportException;

  void login(String sessionId, Role role, String password) throws TransportException;

  void logout(String sessionId) throws TransportException;

  void changePassword(String sessionId, String oldPassword, String newPassword)
      throws TransportException;

  void initKrco(String sessionId, String password) throws TransportException;

  KeyringKeyPair generateKeyPair(
      String sessionId, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException;

  KeyringObject generateKey(String sessionId, KeyGenParams params, Attributes template)
      throws TransportException;

  KeyringObject createObject(String sessionId, Attributes template) throws TransportException;

  List<KeyringObject> findObjects(String sessionId, Attributes template) throws TransportException;

  KeyringObject getObject(String sessionId, long handle) throws TransportException;

  /**
   * {@link #findObjects} answered by the primary only (another member refuses with
   * CKR_MEMBER_BEHIND); the answer reports the primary's position, which raises the client's.
   */
  List<KeyringObject> findObjectsOnPrimary(String sessionId, Attributes template)
      throws TransportException;

  KeyringObject setAttributes(String sessionId, long handle, Attributes changes)
      throws TransportException;

  void destroyObject(String sessionId, long handle) throws TransportException;

  byte[] sign(String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException;

  boolean verify(
      String sessionId,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data,
      byte[] signature)
      throws TransportException;

  byte[] encrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException;

  byte[] decrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException;

  byte[] wrapKey(
      String sessionId, long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException;

  KeyringObject unwrapKey(
      String sessionId,
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template)
      throws TransportException;

  KeyringObject deriveKey(
      String sessionId,
      long baseKey,
      Mechanism mechanism,
      MechanismParams params,
      Attributes template)
      throws TransportException;

  byte[] random(String sessionId, int length) throws TransportException;

  /** The keyring's cloning offer ({@code GET .../cloning}). */
  CloningMessages.CloningOffer cloningOffer(String sessionId) throws TransportException;

  /** The keyring's objects with their object ids ({@code GET .../cloning/objects}). */
  List<CloningMessages.ClonableObject> clonableObjects(String sessionId) throws TransportException;

  /** Object {@code handle} encrypted for the target that made {@code offer}. */
  byte[] cloneOut(String sessionId, long handle, CloningMessages.CloningOffer offer)
      throws TransportException;

  /** Stores a clone made for this keyring's cluster; answers the object as stored. */
  KeyringObject cloneIn(String sessionId, byte[] bundle) throws TransportException;

  /** Starts a multi-part operation on the session; returns the operation's id. */
  String startOperation(
      String sessionId,
      KeyringOperation.Kind kind,
      long key,
      Mechanism mechanism,
      MechanismParams params)
      throws TransportException;

  /**
   * Sends one part of a multi-part operation; {@code last} ends it (with {@code signature} for a
   * verify) and returns its result.
   */
  PartResult operationPart(
      String sessionId, String operationId, byte[] part, boolean last, byte[] signature)
      throws TransportException;
}
