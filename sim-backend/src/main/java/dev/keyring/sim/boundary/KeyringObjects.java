package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.NewObject;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.ReplicatedWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The objects of the keyrings as the boundary sees them: read from the store and unwrapped under
 * the SMK (through the {@link UnwrappedKeyCache}), and written sealed — every secret part as an SKS
 * blob bound to the cluster, the keyring, the object and its attributes, written through the
 * member's replicating writer.
 */
final class KeyringObjects {
  /** How many times a change of attributes is made again after another write changed the object. */
  private static final int MAX_STALE_ATTEMPTS = 5;

  private final KeyringStore store;
  private final ReplicatedWriter writer;
  private final SmkVault vault;
  private final UnwrappedKeyCache cache;
  private final AtomicReference<UUID> clusterId = new AtomicReference<>();

  KeyringObjects(
      KeyringStore store, ReplicatedWriter writer, SmkVault vault, UnwrappedKeyCache cache) {
    this.store = Objects.requireNonNull(store, "store");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.vault = vault;
    this.cache = cache;
  }

  /**
   * Object {@code handle} of the keyring, its secret part unwrapped, with one use started: close it
   * when the operation is done. CKR_OBJECT_HANDLE_INVALID when there is no such object.
   */
  LoadedKey use(UUID keyringId, long handle) {
    return cache.use(keyringId, handle, () -> load(keyringId, handle));
  }

  private LoadedKey load(UUID keyringId, long handle) {
    ObjectRecord rec =
        store
            .object(keyringId, handle)
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_OBJECT_HANDLE_INVALID,
                        "keyring " + keyringId + " has no object with handle " + handle));
    SecretBytes secret = null;
    if (rec.objectClass().hasSecretPart()) {
      KeyType type =
          rec.attributes()
              .keyType()
              .orElseThrow(
                  () ->
                      new HsmException(
                          ResultCode.CKR_ENCRYPTED_DATA_INVALID,
                          "object " + handle + " has no CKA_KEY_TYPE"));
      secret =
          vault.open(
              rec.blob(),
              clusterId(),
              keyringId,
              rec.objectId(),
              rec.attributes(),
              type,
              "object " + handle + " in keyring " + keyringId);
    }
    return new LoadedKey(rec, secret);
  }

  /**
   * Stores a private or secret key of the given origin: seals {@code secret} and inserts the
   * object. The cache keeps the secret from then on; when the object cannot be stored, the secret
   * is wiped.
   */
  ObjectRecord insertSecret(
      UUID keyringId,
      ObjectClass c,
      KeyType type,
      Attributes attrs,
      KeyOrigin origin,
      SecretBytes secret) {
    UUID id = UUID.randomUUID();
    byte kind = c == ObjectClass.PRIVATE_KEY ? SksBlob.KIND_PKCS8 : SksBlob.KIND_RAW_SECRET;
    ObjectRecord rec;
    try {
      byte[] blob = vault.seal(kind, type, origin, secret, clusterId(), keyringId, id, attrs);
      rec = writer.write(tx -> tx.insertObject(keyringId, id, c, attrs, blob));
    } catch (RuntimeException e) {
      secret.destroy(); // nothing refers to it: the object was not stored
      throw e;
    }
    cache.add(new LoadedKey(rec, secret));
    return rec;
  }

  /**
   * Stores both halves of a key pair generated inside in one transaction; the cache keeps the
   * private key from then on; when the pair cannot be stored, {@code pkcs8} is wiped.
   */
  KeyPairObjects insertKeyPair(
      UUID keyringId, KeyType type, Attributes pub, Attributes priv, SecretBytes pkcs8) {
    List<ObjectRecord> recs;
    try {
      UUID pubId = UUID.randomUUID();
      UUID privId = UUID.randomUUID();
      byte[] blob = sealInside(type, pkcs8, clusterId(), keyringId, privId, priv);
      recs =
          writer.write(
              tx ->
                  List.of(
                      tx.insertObject(keyringId, pubId, ObjectClass.PUBLIC_KEY, pub, null),
                      tx.insertObject(keyringId, privId, ObjectClass.PRIVATE_KEY, priv, blob)));
    } catch (RuntimeException e) {
      pkcs8.destroy(); // the key pair was not stored
      throw e;
    }
    cache.add(new LoadedKey(recs.get(1), pkcs8));
    return new KeyPairObjects(recs.get(0), recs.get(1));
  }

  /** A private key generated inside, sealed under the SMK over its object id and attributes. */
  private byte[] sealInside(
      KeyType type, SecretBytes pkcs8, UUID cluster, UUID keyringId, UUID privId, Attributes priv) {
    return vault.seal(
        SksBlob.KIND_PKCS8, type, KeyOrigin.INSIDE, pkcs8, cluster, keyringId, privId, priv);
  }

  /** One key pair of a bulk generation: both halves' attributes and the private key's PKCS#8. */
  record NewPair(Attributes publicKey, Attributes privateKey, SecretBytes pkcs8) {}

  /**
   * Stores key pairs generated inside, all in one transaction (one batch of inserts): each private
   * key sealed under the SMK over its own object id and attributes. The caller keeps and wipes the
   * PKCS#8 bytes; the cache does not take them.
   */
  List<KeyPairObjects> insertKeyPairs(UUID keyringId, KeyType type, List<NewPair> pairs) {
    List<NewObject> rows = new ArrayList<>(2 * pairs.size());
    UUID cluster = clusterId();
    for (NewPair p : pairs) {
      UUID pubId = UUID.randomUUID();
      UUID privId = UUID.randomUUID();
      byte[] blob = sealInside(type, p.pkcs8(), cluster, keyringId, privId, p.privateKey());
      rows.add(new NewObject(pubId, ObjectClass.PUBLIC_KEY, p.publicKey(), null));
      rows.add(new NewObject(privId, ObjectClass.PRIVATE_KEY, p.privateKey(), blob));
    }
    List<ObjectRecord> stored = writer.write(tx -> tx.insertObjects(keyringId, rows));
    List<KeyPairObjects> out = new ArrayList<>(pairs.size());
    for (int i = 0; i < stored.size(); i += 2) {
      out.add(new KeyPairObjects(stored.get(i), stored.get(i + 1)));
    }
    return out;
  }

  /**
   * Stores an object cloned from another HSM under its own object id: a private or secret key's
   * value ({@code secret}, owned from here on; wiped when the object cannot be stored) is sealed
   * under this cluster's SMK with the origin its source recorded; an object without a secret part
   * is stored as it came.
   */
  ObjectRecord insertCloned(
      UUID keyringId,
      UUID objectId,
      ObjectClass c,
      Attributes attrs,
      byte kind,
      KeyOrigin origin,
      SecretBytes secret) {
    if (secret == null) {
      return writer.write(tx -> tx.insertObject(keyringId, objectId, c, attrs, null));
    }
    KeyType type =
        attrs
            .keyType()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_TEMPLATE_INCOMPLETE, "a cloned key has no CKA_KEY_TYPE"));
    ObjectRecord rec;
    try {
      byte[] blob = vault.seal(kind, type, origin, secret, clusterId(), keyringId, objectId, attrs);
      rec = writer.write(tx -> tx.insertObject(keyringId, objectId, c, attrs, blob));
    } catch (RuntimeException e) {
      secret.destroy();
      throw e;
    }
    cache.add(new LoadedKey(rec, secret));
    return rec;
  }

  /** Stores an object with no secret part (public key, certificate, data). */
  ObjectRecord insertPublic(UUID keyringId, ObjectClass c, Attributes attrs) {
    UUID id = UUID.randomUUID();
    return writer.write(tx -> tx.insertObject(keyringId, id, c, attrs, null));
  }

  /**
   * Changes CKA_LABEL, CKA_ID or CKA_TOKEN; the blob is sealed again over the new attributes, with
   * the same origin.
   */
  ObjectRecord setAttributes(UUID keyringId, long handle, Attributes changes) {
    for (AttributeType t : changes.types()) {
      if (t != AttributeType.CKA_LABEL
          && t != AttributeType.CKA_ID
          && t != AttributeType.CKA_TOKEN) {
        throw new HsmException(
            ResultCode.CKR_ATTRIBUTE_READ_ONLY,
            t + " cannot be changed after creation; only CKA_LABEL, CKA_ID and CKA_TOKEN can");
      }
    }
    KeyringLimits.checkObjectAttributes(changes);
    for (int attempt = 1; ; attempt++) {
      ObjectRecord updated = setAttributesOnce(keyringId, handle, changes);
      cache.invalidate(keyringId, handle);
      if (updated != null) {
        return updated;
      }
      if (attempt >= MAX_STALE_ATTEMPTS) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "object "
                + handle
                + " was changed by other writes "
                + attempt
                + " times while its attributes were being set; nothing was changed: try again");
      }
    }
  }

  /**
   * One attempt: the new attributes (and blob) are made from the object as this member holds it,
   * and written only if the cluster still holds that same object; null if not (another member
   * changed it meanwhile: writing would undo that change).
   */
  private ObjectRecord setAttributesOnce(UUID keyringId, long handle, Attributes changes) {
    try (LoadedKey k = use(keyringId, handle)) {
      ObjectRecord from = k.record;
      Attributes next = from.attributes().merge(changes);
      byte[] blob =
          k.hasSecret()
              ? vault.seal(
                  from.blob()[5],
                  k.keyType,
                  k.origin(),
                  k.secret(),
                  clusterId(),
                  keyringId,
                  from.objectId(),
                  next)
              : null;
      ObjectRecord updated = from.withAttributesAndBlob(next, blob);
      boolean written =
          writer.write(
              tx -> {
                if (!tx.object(keyringId, handle).filter(from::equals).isPresent()) {
                  return false;
                }
                tx.updateObject(updated);
                return true;
              });
      return written ? updated : null;
    }
  }

  /** Destroys an object. */
  void destroy(UUID keyringId, long handle) {
    boolean deleted = writer.write(tx -> tx.deleteObject(keyringId, handle));
    cache.invalidate(keyringId, handle);
    if (!deleted) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "keyring " + keyringId + " has no object with handle " + handle);
    }
  }

  /** Forgets the cluster id read from the store (the member left or joined a cluster). */
  void forgetClusterId() {
    clusterId.set(null);
  }

  private UUID clusterId() {
    UUID id = clusterId.get();
    if (id == null) {
      id =
          store
              .cluster()
              .orElseThrow(
                  () ->
                      new HsmException(
                          ResultCode.CKR_FUNCTION_FAILED,
                          "this member has no cluster yet: create or join one first"))
              .id();
      clusterId.set(id);
    }
    return id;
  }
}
