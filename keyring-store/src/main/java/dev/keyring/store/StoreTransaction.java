package dev.keyring.store;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The writes of one database transaction, given to the function passed to {@link
 * KeyringStore#write}. Everything done through one transaction commits together or not at all.
 * Reads here see the transaction's own writes.
 *
 * <p>A refused call (an {@link dev.keyring.protocol.HsmException} other than CKR_DEVICE_ERROR)
 * changes nothing, so the function may catch it and go on. A failed database call
 * (CKR_DEVICE_ERROR) ends the transaction: later calls are refused and nothing is committed. A
 * transaction may not be used after its function has returned, nor from another thread.
 */
public interface StoreTransaction {

  /**
   * Creates the store's cluster, stamped with the current time. Refused (CKR_FUNCTION_FAILED) when
   * the store already has one; two concurrent calls take turns, so only one can succeed.
   *
   * @return the cluster as stored
   */
  ClusterRecord createCluster(UUID id, String label);

  /**
   * Creates keyrings in the cluster, all or none. Refused with CKR_DEVICE_MEMORY when the cluster
   * would then hold more than 3,500, and with CKR_ARGUMENTS_BAD when a label is already used; the
   * check and the insert are atomic against concurrent writers.
   *
   * <p>Also refused with CKR_ARGUMENTS_BAD when a label or id appears twice in {@code keyrings}, an
   * id is already used, a record names another cluster, or the cluster does not exist. Each new
   * keyring's handles start at 1. Creation times are kept to the microsecond.
   *
   * @return the keyrings as stored (creation times truncated to microseconds), in request order
   */
  List<KeyringRecord> createKeyrings(UUID clusterId, List<KeyringRecord> keyrings);

  /** Reads a keyring and locks its row until the transaction ends. */
  Optional<KeyringRecord> lockKeyring(UUID keyringId);

  /**
   * Replaces a keyring's credential, flags, lock state and failed-login count (its label, cluster
   * and creation time never change). CKR_SLOT_ID_INVALID when the keyring does not exist.
   */
  void updateKeyring(KeyringRecord keyring);

  /** Deletes a keyring and all its objects. Returns false when it did not exist. */
  boolean deleteKeyring(UUID keyringId);

  /**
   * Inserts an object, assigning its handle. Refused with CKR_DEVICE_MEMORY when the keyring
   * already holds 256 objects (atomic against concurrent writers) and with CKR_SLOT_ID_INVALID when
   * the keyring does not exist.
   *
   * <p>The handle is the keyring's next one: handles start at 1 and are never reused within a
   * keyring, even after a delete. Also refused with CKR_ARGUMENTS_BAD when {@code objectId} is
   * already used. {@code blob} may be null (objects with no secret part).
   *
   * @return the object as stored, stamped with the current time
   */
  ObjectRecord insertObject(
      UUID keyringId, UUID objectId, ObjectClass objectClass, Attributes attributes, byte[] blob);

  /**
   * Inserts objects into one keyring, all or none, assigning them the keyring's next handles in
   * list order: what {@link #insertObject} does for each, with one lock of the keyring, one count
   * and one batch of inserts (a keyring filled in one statement batch instead of five statements
   * per object). Refused with CKR_DEVICE_MEMORY when the keyring would then hold more than 256
   * objects, CKR_SLOT_ID_INVALID when it does not exist, CKR_ARGUMENTS_BAD when an object id is
   * already used or appears twice in {@code objects}. An empty list inserts nothing.
   *
   * @return the objects as stored, in list order
   */
  List<ObjectRecord> insertObjects(UUID keyringId, List<NewObject> objects);

  /**
   * Replaces an object's attributes and blob. CKR_OBJECT_HANDLE_INVALID when it does not exist. The
   * object is found by keyring, handle and object id: all three must match.
   */
  void updateObject(ObjectRecord object);

  /** Deletes an object. Returns false when it did not exist. */
  boolean deleteObject(UUID keyringId, long handle);

  /**
   * Puts an object row exactly as given (keyring, handle, id, class, attributes, blob, creation
   * time), replacing the row at that handle if there is one, and raises the keyring's next handle
   * past it so that the handle is never given again. What restoring a backup does. Refused with
   * CKR_SLOT_ID_INVALID when the keyring does not exist, CKR_ARGUMENTS_BAD when the object id is
   * used by another row, CKR_DEVICE_MEMORY when the keyring would hold more than 256 objects.
   */
  void putObject(ObjectRecord object);

  /**
   * Sets a named entry of the member's HSM state (non-secret or already protected bytes), replacing
   * any earlier value. Names are at most 256 characters.
   */
  void putHsmState(String name, byte[] value);

  /**
   * Deletes the cluster with all its keyrings and their objects, its cluster values and its log
   * (factory reset of the cluster service). Returns false when the store holds no such cluster.
   */
  boolean deleteCluster(UUID clusterId);

  /** Deletes a named entry of the member's HSM state. Returns false when there was none. */
  boolean deleteHsmState(String name);

  /** The object with this handle in this keyring, as this transaction sees it (own writes too). */
  Optional<ObjectRecord> object(UUID keyringId, long handle);

  /** A named cluster value (replicated, unlike the HSM state), if set. The bytes are a copy. */
  Optional<byte[]> clusterValue(String name);

  /**
   * A named cluster value, read and locked until the transaction ends: a read, change and write of
   * it is then atomic against concurrent writers (one that changes it meanwhile waits, or is found
   * in conflict). A value that does not exist yet is not locked. The bytes are a copy.
   */
  Optional<byte[]> lockClusterValue(String name);

  /**
   * Sets a named cluster value, replacing any earlier one. Cluster values are replicated with the
   * keyrings. Names are at most 256 characters (else CKR_ARGUMENTS_BAD).
   */
  void putClusterValue(String name, byte[] value);

  /** Deletes a named cluster value. Returns false when there was none. */
  boolean deleteClusterValue(String name);
}
