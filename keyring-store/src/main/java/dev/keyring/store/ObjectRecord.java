package dev.keyring.store;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * One keyring object as stored: its public attributes and, for private and secret keys, the SKS
 * blob that holds the secret part encrypted under the SMK. Nothing here is secret: the store never
 * sees plaintext key material.
 *
 * @param keyringId the keyring holding the object
 * @param handle the object's handle within its keyring, assigned by the store
 * @param objectId the object's cluster-wide identity, bound into its blob
 * @param objectClass the object's class
 * @param attributes the object's public attributes
 * @param blob the SKS blob, or null for objects with no secret part
 * @param createdAt when the store inserted it (to the microsecond)
 */
public record ObjectRecord(
    UUID keyringId,
    long handle,
    UUID objectId,
    ObjectClass objectClass,
    Attributes attributes,
    byte[] blob,
    Instant createdAt) {
  /** Checks that no component but the blob is null, and copies the blob. */
  public ObjectRecord {
    Objects.requireNonNull(keyringId, "keyringId");
    Objects.requireNonNull(objectId, "objectId");
    Objects.requireNonNull(objectClass, "objectClass");
    Objects.requireNonNull(attributes, "attributes");
    Objects.requireNonNull(createdAt, "createdAt");
    blob = blob == null ? null : blob.clone();
  }

  /** A copy of the SKS blob, or null. */
  @Override
  public byte[] blob() {
    return blob == null ? null : blob.clone();
  }

  /** A copy with the attributes and blob replaced (same keyring, handle and identity). */
  public ObjectRecord withAttributesAndBlob(Attributes newAttributes, byte[] newBlob) {
    return new ObjectRecord(
        keyringId, handle, objectId, objectClass, newAttributes, newBlob, createdAt);
  }

  /** Equal when every component is, the blob compared by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ObjectRecord r
        && keyringId.equals(r.keyringId)
        && handle == r.handle
        && objectId.equals(r.objectId)
        && objectClass == r.objectClass
        && attributes.equals(r.attributes)
        && Arrays.equals(blob, r.blob)
        && createdAt.equals(r.createdAt);
  }

  /** Consistent with {@link #equals}: the blob hashed by content. */
  @Override
  public int hashCode() {
    return Objects.hash(keyringId, handle, objectId, objectClass, attributes, createdAt) * 31
        + Arrays.hashCode(blob);
  }

  /** Handle, class and label; no attribute values and no blob. */
  @Override
  public String toString() {
    return "Object[" + handle + " " + objectClass + " " + attributes.label().orElse("") + "]";
  }
}
