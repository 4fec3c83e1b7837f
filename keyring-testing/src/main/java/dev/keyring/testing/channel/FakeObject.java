package dev.keyring.testing.channel;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import java.security.PrivateKey;
import java.security.PublicKey;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * One object of a fake keyring: its handle, class and attributes as a member shows them, and for a
 * private or secret key the key itself, which no call hands out (as on a member, where it stays
 * inside the boundary), and whether that key was generated inside (a member records this in the
 * key's blob; see {@code KeyOrigin} in sim-backend). Immutable: a change of attributes makes a new
 * object with the same handle and origin.
 */
final class FakeObject {
  private final long handle;
  private final ObjectClass objectClass;
  private final Attributes attributes;
  private final PrivateKey privateKey;
  private final byte[] secretValue;
  private final boolean generatedInside;

  private FakeObject(
      long handle,
      ObjectClass objectClass,
      Attributes attributes,
      PrivateKey privateKey,
      byte[] secretValue,
      boolean generatedInside) {
    this.handle = handle;
    this.objectClass = objectClass;
    this.attributes = attributes;
    this.privateKey = privateKey;
    this.secretValue = secretValue;
    this.generatedInside = generatedInside;
  }

  /** An object without a secret part (public key, certificate, data). */
  static FakeObject plain(long handle, ObjectClass c, Attributes attributes) {
    return new FakeObject(handle, c, attributes, null, null, false);
  }

  /** A private key; {@code generatedInside} false for an unwrapped one. */
  static FakeObject privateKey(
      long handle, Attributes attributes, PrivateKey key, boolean generatedInside) {
    return new FakeObject(handle, ObjectClass.PRIVATE_KEY, attributes, key, null, generatedInside);
  }

  /** A secret key; {@code generatedInside} false for an unwrapped or derived one. */
  static FakeObject secretKey(
      long handle, Attributes attributes, byte[] value, boolean generatedInside) {
    return new FakeObject(
        handle, ObjectClass.SECRET_KEY, attributes, null, value.clone(), generatedInside);
  }

  long handle() {
    return handle;
  }

  ObjectClass objectClass() {
    return objectClass;
  }

  Attributes attributes() {
    return attributes;
  }

  /** The key type, or null for certificates and data. */
  KeyType keyType() {
    return attributes.keyType().orElse(null);
  }

  boolean flag(AttributeType t) {
    return attributes.flag(t, false);
  }

  /** Whether its value was generated inside (no one outside has known it). */
  boolean generatedInside() {
    return generatedInside;
  }

  /** The same object with {@code changes} set over its attributes. */
  FakeObject with(Attributes changes) {
    return new FakeObject(
        handle, objectClass, attributes.merge(changes), privateKey, secretValue, generatedInside);
  }

  /** What a member answers about it: handle, class and attributes, never the secret part. */
  KeyringObject toKeyringObject() {
    return new KeyringObject(handle, objectClass, attributes);
  }

  PrivateKey privateKey() {
    if (privateKey == null) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " is not a private key");
    }
    return privateKey;
  }

  /** The public key of a public key object or of a private key's public attributes. */
  PublicKey publicKey() {
    if (objectClass != ObjectClass.PUBLIC_KEY && objectClass != ObjectClass.PRIVATE_KEY) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " has no public key");
    }
    return PublicKeyAttributes.toPublicKey(attributes);
  }

  SecretKey secretKey(String algorithm) {
    return new SecretKeySpec(secretValue(), algorithm);
  }

  /** A copy of a secret key's value (for wrapping it out). */
  byte[] secretValue() {
    if (secretValue == null) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " is not a secret key");
    }
    return secretValue.clone();
  }

  /** "object 3 (PRIVATE_KEY EC)": what messages name it by. */
  String describe() {
    KeyType t = keyType();
    return "object " + handle + " (" + objectClass + (t == null ? "" : " " + t) + ")";
  }

  @Override
  public String toString() {
    return describe();
  }
}
