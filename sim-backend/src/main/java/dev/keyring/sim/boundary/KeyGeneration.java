package dev.keyring.sim.boundary;

import static dev.keyring.sim.boundary.ObjectTemplates.defaultId;
import static dev.keyring.sim.boundary.ObjectTemplates.keyTemplate;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Key generation inside the boundary: RSA, EC and Ed25519 key pairs, AES and generic secrets. */
final class KeyGeneration {
  private final CryptoEngines engines;
  private final Drbg drbg;
  private final KeyringObjects objects;

  KeyGeneration(CryptoEngines engines, Drbg drbg, KeyringObjects objects) {
    this.engines = engines;
    this.drbg = drbg;
    this.objects = objects;
  }

  /** Generates a key pair inside and stores both halves in one transaction. */
  KeyPairObjects generateKeyPair(
      UUID keyringId, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate) {
    KeyType type = params.keyType();
    if (type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID, type + " keys are generated with generateKey");
    }
    KeyPair kp = newKeyPair(params);
    Attributes pubAttrs = PublicKeyAttributes.of(jdkPublic(kp.getPublic(), type));
    SecretBytes pkcs8 = SecretBytes.adopt(kp.getPrivate().getEncoded());
    Attributes pub;
    Attributes priv;
    try {
      pub =
          keyTemplate(
              publicTemplate,
              ObjectClass.PUBLIC_KEY,
              type,
              pubAttrs,
              defaultId(pubAttrs),
              KeyOrigin.INSIDE);
      priv =
          keyTemplate(
              privateTemplate,
              ObjectClass.PRIVATE_KEY,
              type,
              pubAttrs,
              defaultId(pubAttrs),
              KeyOrigin.INSIDE);
    } catch (RuntimeException e) {
      pkcs8.destroy(); // the key pair was not stored
      throw e;
    }
    return objects.insertKeyPair(keyringId, type, pub, priv, pkcs8);
  }

  /**
   * Generates one key pair inside per template (the template applies to both halves) and stores
   * them all in one transaction; the private keys are not kept in the cache (a bulk fill would only
   * push out the keys in use). If the pairs cannot be stored, none is.
   */
  List<KeyPairObjects> generateKeyPairs(
      UUID keyringId, KeyGenParams params, List<Attributes> templates) {
    KeyType type = params.keyType();
    if (type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID, type + " keys are generated with generateKey");
    }
    int max = dev.keyring.protocol.KeyringLimits.MAX_OBJECTS_PER_KEYRING / 2;
    if (templates.isEmpty() || templates.size() > max) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "a bulk generation makes 1 to " + max + " key pairs, not " + templates.size());
    }
    List<KeyringObjects.NewPair> pairs = new ArrayList<>(templates.size());
    try {
      for (Attributes template : templates) {
        KeyPair kp = newKeyPair(params);
        Attributes pubAttrs = PublicKeyAttributes.of(jdkPublic(kp.getPublic(), type));
        byte[] id = defaultId(pubAttrs);
        Attributes pub =
            keyTemplate(template, ObjectClass.PUBLIC_KEY, type, pubAttrs, id, KeyOrigin.INSIDE);
        Attributes priv =
            keyTemplate(template, ObjectClass.PRIVATE_KEY, type, pubAttrs, id, KeyOrigin.INSIDE);
        pairs.add(
            new KeyringObjects.NewPair(pub, priv, SecretBytes.adopt(kp.getPrivate().getEncoded())));
      }
      return objects.insertKeyPairs(keyringId, type, pairs);
    } finally {
      for (KeyringObjects.NewPair p : pairs) {
        p.pkcs8().destroy();
      }
    }
  }

  private KeyPair newKeyPair(KeyGenParams params) {
    try {
      switch (params.keyType()) {
        case RSA:
          {
            KeyPairGenerator g =
                KeyPairGenerator.getInstance("RSA", engines.provider(EngineFamily.RSA_KEYGEN));
            g.initialize(
                new RSAKeyGenParameterSpec(params.bits(), RSAKeyGenParameterSpec.F4),
                drbg.secureRandom());
            return g.generateKeyPair();
          }
        case EC:
          {
            KeyPairGenerator g =
                KeyPairGenerator.getInstance("EC", engines.provider(EngineFamily.EC_KEYGEN));
            g.initialize(new ECGenParameterSpec(params.curve().jcaName()), drbg.secureRandom());
            return g.generateKeyPair();
          }
        default:
          return KeyPairGenerator.getInstance(
                  "Ed25519", engines.provider(EngineFamily.ED25519_KEYGEN))
              .generateKeyPair();
      }
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "key pair generation failed", e);
    }
  }

  /** Generates an AES or generic secret key inside. */
  ObjectRecord generateKey(UUID keyringId, KeyGenParams params, Attributes template) {
    KeyType type = params.keyType();
    if (!type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID, type + " keys are generated with generateKeyPair");
    }
    Attributes attrs =
        keyTemplate(
            template, ObjectClass.SECRET_KEY, type, Attributes.empty(), null, KeyOrigin.INSIDE);
    byte[] raw = drbg.bytes(params.bits() / 8);
    return objects.insertSecret(
        keyringId, ObjectClass.SECRET_KEY, type, attrs, KeyOrigin.INSIDE, SecretBytes.adopt(raw));
  }

  /** A JDK public key from an engine's public key (so attributes are computed one way). */
  private static PublicKey jdkPublic(PublicKey k, KeyType type) {
    try {
      return KeyFactory.getInstance(LoadedKey.jcaKeyAlgorithm(type))
          .generatePublic(new X509EncodedKeySpec(k.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "cannot read a generated public key", e);
    }
  }
}
