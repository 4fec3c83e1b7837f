package dev.keyring.client.api;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import java.security.PublicKey;
import java.util.Objects;

/**
 * An object on a keyring as the member describes it: its handle, its class and its public
 * attributes. Secret parts (private and secret key values) never leave the member.
 *
 * @param handle the handle that names it in the session's keyring
 * @param objectClass its CKA_CLASS
 * @param attributes its attributes, without secret values
 */
public record KeyringObject(long handle, ObjectClass objectClass, Attributes attributes) {
  public KeyringObject {
    Objects.requireNonNull(objectClass, "objectClass");
    Objects.requireNonNull(attributes, "attributes");
  }

  /** The label, or an empty string. */
  public String label() {
    return attributes.label().orElse("");
  }

  /**
   * The JDK public key these attributes describe (a public key object, or a private key whose
   * public attributes the member returned).
   *
   * @throws dev.keyring.protocol.HsmException if the attributes describe no public key
   */
  public PublicKey toPublicKey() {
    return PublicKeyAttributes.toPublicKey(attributes);
  }
}
