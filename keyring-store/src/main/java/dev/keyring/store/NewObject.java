package dev.keyring.store;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import java.util.Objects;
import java.util.UUID;

/**
 * An object to insert with {@link StoreTransaction#insertObjects}: everything but the handle and
 * the creation time, which the store assigns.
 *
 * @param objectId the object's cluster-wide identity, bound into its blob
 * @param objectClass the object's class
 * @param attributes the object's public attributes
 * @param blob the SKS blob, or null for objects with no secret part
 */
public record NewObject(
    UUID objectId, ObjectClass objectClass, Attributes attributes, byte[] blob) {
  /** Checks that no component but the blob is null, and copies the blob. */
  public NewObject {
    Objects.requireNonNull(objectId, "objectId");
    Objects.requireNonNull(objectClass, "objectClass");
    Objects.requireNonNull(attributes, "attributes");
    blob = blob == null ? null : blob.clone();
  }

  /** A copy of the blob (null when there is none). */
  @Override
  public byte[] blob() {
    return blob == null ? null : blob.clone();
  }

  /** The object id and class only: the attributes and blob are left out. */
  @Override
  public String toString() {
    return "NewObject[" + objectId + ", " + objectClass + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NewObject n
        && objectId.equals(n.objectId)
        && objectClass == n.objectClass
        && attributes.equals(n.attributes)
        && java.util.Arrays.equals(blob, n.blob);
  }

  @Override
  public int hashCode() {
    return Objects.hash(objectId, objectClass, attributes, java.util.Arrays.hashCode(blob));
  }
}
