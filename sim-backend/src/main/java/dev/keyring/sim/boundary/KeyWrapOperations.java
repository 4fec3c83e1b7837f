package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;

/**
 * Key wrapping: secret keys wrapped out with AES-KWP (RFC 5649) or AES-KW (RFC 3394, for keys of a
 * multiple of 8 bytes, at least 16) under an AES key generated on the keyring with CKA_WRAP,
 * private and secret keys unwrapped in under a key with CKA_UNWRAP (AES-KWP, AES-KW, RSA-OAEP, RSA
 * PKCS#1 v1.5). Private keys and wrapping keys are never wrapped out; {@link KeyUseRules} says why.
 */
final class KeyWrapOperations {
  private final CryptoEngines engines;
  private final KeyringObjects objects;
  private final KeyImport imports;
  private final RsaCiphers rsa;

  KeyWrapOperations(
      CryptoEngines engines, KeyringObjects objects, KeyImport imports, RsaCiphers rsa) {
    this.engines = engines;
    this.objects = objects;
    this.imports = imports;
    this.rsa = rsa;
  }

  /**
   * Imports a wrapped private key (PKCS#8) or secret key (raw bytes), unwrapping it with a key of
   * the keyring. The template must give CKA_CLASS and CKA_KEY_TYPE.
   */
  ObjectRecord unwrapKey(
      UUID keyringId,
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template) {
    ObjectClass c = ObjectTemplates.requireClass(template);
    KeyType type = ObjectTemplates.requireKeyType(template);
    if (!c.hasSecretPart() || (c == ObjectClass.SECRET_KEY) != type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "unwrap makes private keys (RSA, EC, EC_EDWARDS) or secret keys (AES, GENERIC_SECRET);"
              + " got "
              + c
              + " "
              + type);
    }
    byte[] plain;
    try (LoadedKey k = objects.use(keyringId, unwrappingKey)) {
      k.requireFlag(AttributeType.CKA_UNWRAP, "unwrap");
      plain = unwrap(k, mechanism, params, wrapped);
    }
    return imports.store(keyringId, c, type, template, SecretBytes.adopt(plain));
  }

  private byte[] unwrap(LoadedKey k, Mechanism mechanism, MechanismParams params, byte[] wrapped) {
    try {
      switch (mechanism) {
        case CKM_AES_KEY_WRAP_KWP:
        case CKM_AES_KEY_WRAP:
          return aesWrap(mechanism, Cipher.DECRYPT_MODE, k).doFinal(wrapped);
        case CKM_RSA_PKCS_OAEP:
          k.requireType(ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
          return rsa.oaep(Cipher.DECRYPT_MODE, k, params, wrapped);
        case CKM_RSA_PKCS:
          {
            k.requireType(ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
            if (params instanceof MechanismParams.TlsPremaster) {
              throw new HsmException(
                  ResultCode.CKR_MECHANISM_PARAM_INVALID,
                  "TLS premaster parameters belong to CKM_RSA_PKCS decrypt, not to unwrap");
            }
            return rsa.pkcs1Decryptor(k).doFinal(wrapped);
          }
        default:
          throw new HsmException(
              ResultCode.CKR_MECHANISM_INVALID, mechanism + " cannot unwrap keys");
      }
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "the wrapped key could not be unwrapped with " + k.describe());
    }
  }

  /**
   * Wraps a secret key (raw bytes) with AES-KWP under an AES key generated on the keyring with
   * CKA_WRAP and without CKA_DECRYPT.
   */
  byte[] wrapKey(
      UUID keyringId, long wrappingKey, Mechanism mechanism, MechanismParams params, long key) {
    try (LoadedKey w = objects.use(keyringId, wrappingKey);
        LoadedKey target = objects.use(keyringId, key)) {
      KeyUseRules.checkWrappingKey(w, mechanism);
      KeyUseRules.checkWrapTarget(target);
      byte[] raw = target.secret().reveal(SecretKeyAccess.INSTANCE);
      try {
        if (mechanism == Mechanism.CKM_AES_KEY_WRAP && (raw.length % 8 != 0 || raw.length < 16)) {
          throw new HsmException(
              ResultCode.CKR_KEY_SIZE_RANGE,
              "CKM_AES_KEY_WRAP wraps keys of a multiple of 8 bytes, at least 16; "
                  + target.describe()
                  + " is "
                  + raw.length
                  + " bytes: wrap it with CKM_AES_KEY_WRAP_KWP");
        }
        return aesWrap(mechanism, Cipher.ENCRYPT_MODE, w).doFinal(raw);
      } catch (GeneralSecurityException | RuntimeException e) {
        if (e instanceof HsmException) {
          throw (HsmException) e;
        }
        throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "wrapping failed");
      } finally {
        Arrays.fill(raw, (byte) 0);
      }
    }
  }

  /**
   * An AES-KWP (CKM_AES_KEY_WRAP_KWP) or AES-KW (CKM_AES_KEY_WRAP) cipher over the AES key {@code
   * k}; AES-KW from the JDK when the engine of the family has none.
   */
  private Cipher aesWrap(Mechanism m, int mode, LoadedKey k) throws GeneralSecurityException {
    k.requireType(ObjectClass.SECRET_KEY, KeyType.AES, m);
    String transformation =
        m == Mechanism.CKM_AES_KEY_WRAP ? "AES/KW/NoPadding" : "AES/KWP/NoPadding";
    Cipher c;
    try {
      c = Cipher.getInstance(transformation, engines.provider(EngineFamily.AES_KWP));
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      if (m != Mechanism.CKM_AES_KEY_WRAP) {
        throw e;
      }
      c = Cipher.getInstance(transformation, "SunJCE");
    }
    c.init(mode, k.secretKey("AES"));
    return c;
  }
}
