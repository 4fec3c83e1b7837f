package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.provider.api.KeyringKey;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;

/** Makes handles of keyring objects, and checks handles given to engines. */
final class KeyHandles {
  private KeyHandles() {}

  /**
   * The handle of a private or secret key object of {@code slot}'s keyring.
   *
   * @param secretAlgorithm the algorithm name a generic secret reports (its generator's), or null
   */
  static KeyHandle of(SlotSession slot, KeyringObject o, String secretAlgorithm, int secretBits) {
    KeyType type =
        o.attributes()
            .keyType()
            .orElseThrow(
                () -> new IllegalStateException("object " + o.handle() + " has no CKA_KEY_TYPE"));
    if (o.objectClass() == ObjectClass.PRIVATE_KEY) {
      PublicKey pub = o.toPublicKey();
      switch (type) {
        case RSA:
          return new PrivateKeyHandle.Rsa(slot, o.handle(), o.label(), (RSAPublicKey) pub);
        case EC:
          return new PrivateKeyHandle.Ec(
              slot,
              o.handle(),
              o.label(),
              (ECPublicKey) pub,
              Curve.fromOidDer(o.attributes().bytes(AttributeType.CKA_ECDSA_PARAMS).get()));
        case EC_EDWARDS:
          return new PrivateKeyHandle.Ed25519(slot, o.handle(), o.label(), pub);
        default:
          throw new IllegalStateException("a private key of type " + type);
      }
    }
    if (o.objectClass() == ObjectClass.SECRET_KEY) {
      String alg =
          type == KeyType.AES
              ? "AES"
              : secretAlgorithm != null ? secretAlgorithm : SecretKeyHandle.GENERIC;
      return new SecretKeyHandle(slot, o.handle(), type, alg, secretBits, o.label());
    }
    throw new IllegalStateException("object " + o.handle() + " is a " + o.objectClass());
  }

  /**
   * {@code key} as a handle of this provider's, of the wanted class.
   *
   * @throws InvalidKeyException naming what was given and what is needed
   */
  static <T extends KeyHandle> T require(Key key, Class<T> type, String needed)
      throws InvalidKeyException {
    if (key == null) {
      throw new InvalidKeyException("the key is null; " + needed + " is needed");
    }
    if (!(key instanceof KeyringKey)) {
      throw new InvalidKeyException(
          "the Keyring provider works with keys on a keyring only; got a software "
              + key.getAlgorithm()
              + " key ("
              + key.getClass().getName()
              + "). Load it from a Keyring KeyStore, generate it with the Keyring provider,"
              + " or use another provider for software keys");
    }
    if (!type.isInstance(key)) {
      throw new InvalidKeyException(
          needed + " is needed; got " + key + " (" + key.getClass().getSimpleName() + ")");
    }
    T h = type.cast(key);
    if (h.slot() == null) {
      throw new InvalidKeyException(key + " is not attached to a logged-in keyring");
    }
    return h;
  }
}
