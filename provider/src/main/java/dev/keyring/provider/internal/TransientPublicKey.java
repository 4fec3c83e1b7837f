package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import java.security.InvalidKeyException;
import java.security.PublicKey;

/**
 * Verification and public-key encryption with an ordinary JDK public key happen on the cluster too:
 * the key is created on the keyring as a session object for the one operation and destroyed after.
 */
final class TransientPublicKey {
  private TransientPublicKey() {}

  /** Checks that the keyring can take {@code key} (RSA, EC on P-256/384/521, Ed25519). */
  static Attributes attributesOf(PublicKey key) throws InvalidKeyException {
    try {
      return Attributes.builder()
          .objectClass(ObjectClass.PUBLIC_KEY)
          .set(AttributeType.CKA_TOKEN, false)
          .build()
          .merge(PublicKeyAttributes.of(key));
    } catch (HsmException | IllegalArgumentException e) {
      throw new InvalidKeyException(
          "this "
              + key.getAlgorithm()
              + " public key cannot be used on a keyring: "
              + e.getMessage(),
          e);
    }
  }

  /** Creates the key, runs {@code call} with its handle, destroys it. */
  static <T> T with(KeyringChannel s, Attributes template, HandleCall<T> call)
      throws TransportException {
    KeyringObject o = s.createObject(template);
    try {
      return call.apply(o.handle());
    } finally {
      EntryRemoval.cleanUp(s, o.handle(), "the transient public key");
    }
  }

  /** A call given the transient key's handle. */
  @FunctionalInterface
  interface HandleCall<T> {
    T apply(long handle) throws TransportException;
  }
}
