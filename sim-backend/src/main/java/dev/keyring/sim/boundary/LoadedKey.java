package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.spec.SecretKeySpec;

/**
 * One object made ready for use inside the boundary: its record and, for keys with a secret part,
 * the plaintext (PKCS#8 or raw bytes), with engine key objects parsed from it on first use per
 * engine. This is what the key cache holds, so a cache hit costs no unwrap and no parse.
 */
final class LoadedKey {
  final ObjectRecord record;
  final ObjectClass objectClass;
  final KeyType keyType;
  private final SecretBytes secret;
  private final ConcurrentHashMap<Object, Object> parsed = new ConcurrentHashMap<>();

  LoadedKey(ObjectRecord record, SecretBytes secret) {
    this.record = record;
    this.objectClass = record.objectClass();
    this.keyType = record.attributes().keyType().orElse(null);
    this.secret = secret;
  }

  boolean hasSecret() {
    return secret != null;
  }

  int secretLength() {
    return secret == null ? 0 : secret.length();
  }

  String label() {
    return record.attributes().label().orElse("");
  }

  String describe() {
    return "object " + record.handle() + (label().isEmpty() ? "" : " '" + label() + "'");
  }

  /** The private key as an engine key object of provider {@code p}, parsed once per engine. */
  PrivateKey privateKey(Provider p) {
    if (objectClass != ObjectClass.PRIVATE_KEY || secret == null) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " is not a private key");
    }
    return (PrivateKey)
        parsed.computeIfAbsent(
            p,
            prov -> {
              byte[] der = secret.reveal(SecretKeyAccess.INSTANCE);
              try {
                return CryptoEngines.keyFactory(jcaKeyAlgorithm(keyType), (Provider) prov)
                    .generatePrivate(new PKCS8EncodedKeySpec(der));
              } catch (GeneralSecurityException e) {
                throw new HsmException(
                    ResultCode.CKR_DEVICE_ERROR,
                    "the engine could not load " + describe() + ": " + e.getMessage());
              } finally {
                Arrays.fill(der, (byte) 0);
              }
            });
  }

  /** The secret key for JCA algorithm {@code alg}. */
  SecretKeySpec secretKey(String alg) {
    if (objectClass != ObjectClass.SECRET_KEY || secret == null) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " is not a secret key");
    }
    return (SecretKeySpec)
        parsed.computeIfAbsent(
            "secret:" + alg,
            a -> {
              byte[] raw = secret.reveal(SecretKeyAccess.INSTANCE);
              try {
                return new SecretKeySpec(raw, alg);
              } finally {
                Arrays.fill(raw, (byte) 0);
              }
            });
  }

  /** The secret part itself, for wrapping and derivation inside this package. */
  SecretBytes secret() {
    return secret;
  }

  /**
   * The public key of a public-key object, or the public part of a private key (from its public
   * attributes), as an engine key of provider {@code p}.
   */
  PublicKey publicKey(Provider p) {
    if (objectClass != ObjectClass.PUBLIC_KEY && objectClass != ObjectClass.PRIVATE_KEY) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " has no public key");
    }
    return (PublicKey)
        parsed.computeIfAbsent(
            "public:" + p.getName(),
            k -> {
              try {
                byte[] spki = PublicKeyAttributes.toSpki(record.attributes());
                return CryptoEngines.keyFactory(jcaKeyAlgorithm(keyType), p)
                    .generatePublic(new X509EncodedKeySpec(spki));
              } catch (GeneralSecurityException e) {
                throw new HsmException(
                    ResultCode.CKR_DEVICE_ERROR,
                    "the engine could not load the public key of "
                        + describe()
                        + ": "
                        + e.getMessage());
              }
            });
  }

  static String jcaKeyAlgorithm(KeyType type) {
    switch (type) {
      case RSA:
        return "RSA";
      case EC:
        return "EC";
      case EC_EDWARDS:
        return "Ed25519";
      case AES:
        return "AES";
      default:
        return "GenericSecret";
    }
  }

  @Override
  public String toString() {
    return "LoadedKey[" + describe() + " " + objectClass + " " + keyType + "]";
  }
}
