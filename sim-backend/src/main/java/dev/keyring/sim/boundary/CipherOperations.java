package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * Encryption and decryption of data: AES-GCM, AES-CBC-PAD, RSA-OAEP, and RSA PKCS#1 v1.5 decryption
 * (with the TLS premaster rule of {@link TlsPremasterDecrypt}). Keyring keys have no CKA_ENCRYPT: a
 * symmetric key with CKA_DECRYPT may also encrypt; public-key encryption needs no flag.
 */
final class CipherOperations {
  private final CryptoEngines engines;
  private final Drbg drbg;
  private final KeyringObjects objects;
  private final RsaCiphers rsa;
  private final TlsPremasterDecrypt premaster;

  CipherOperations(CryptoEngines engines, Drbg drbg, KeyringObjects objects, RsaCiphers rsa) {
    this.engines = engines;
    this.drbg = drbg;
    this.objects = objects;
    this.rsa = rsa;
    this.premaster = new TlsPremasterDecrypt(rsa, drbg);
  }

  /**
   * Encrypts. AES-GCM and AES-CBC-PAD with no IV in the parameters generate one inside and return
   * it in front of the ciphertext; RSA-OAEP uses the public part of the key.
   */
  byte[] encrypt(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    try (LoadedKey k = objects.use(keyringId, key)) {
      return encrypt(k, mechanism, params, data);
    }
  }

  private byte[] encrypt(LoadedKey k, Mechanism mechanism, MechanismParams params, byte[] data) {
    try {
      switch (mechanism) {
        case CKM_AES_GCM:
          {
            requireAesForEncryption(k, mechanism);
            MechanismParams.Gcm g = gcm(params);
            boolean generated = !g.hasIv();
            byte[] iv = generated ? drbg.bytes(12) : g.iv();
            Cipher c = gcmCipher(iv.length);
            c.init(Cipher.ENCRYPT_MODE, k.secretKey("AES"), new GCMParameterSpec(g.tagBits(), iv));
            c.updateAAD(g.aad());
            byte[] ct = c.doFinal(data);
            return generated ? concat(iv, ct) : ct;
          }
        case CKM_AES_CBC_PAD:
          {
            requireAesForEncryption(k, mechanism);
            MechanismParams.Cbc cbc = cbc(params);
            boolean generated = !cbc.hasIv();
            byte[] iv = generated ? drbg.bytes(16) : cbc.iv();
            Cipher c =
                Cipher.getInstance("AES/CBC/PKCS5Padding", engines.provider(EngineFamily.AES_CBC));
            c.init(Cipher.ENCRYPT_MODE, k.secretKey("AES"), new IvParameterSpec(iv));
            byte[] ct = c.doFinal(data);
            return generated ? concat(iv, ct) : ct;
          }
        case CKM_RSA_PKCS_OAEP:
          if (k.keyType != KeyType.RSA) {
            throw k.typeMismatch(mechanism);
          }
          return rsa.oaep(Cipher.ENCRYPT_MODE, k, params, data);
        default:
          throw new HsmException(
              ResultCode.CKR_MECHANISM_INVALID,
              mechanism + " cannot encrypt; use CKM_AES_GCM, CKM_AES_CBC_PAD or CKM_RSA_PKCS_OAEP");
      }
    } catch (IllegalBlockSizeException e) {
      throw new HsmException(
          ResultCode.CKR_DATA_LEN_RANGE, "the data is too long for " + mechanism);
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "encryption failed: " + e.getMessage());
    }
  }

  private static void requireAesForEncryption(LoadedKey k, Mechanism mechanism) {
    k.requireType(ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
    k.requireFlag(AttributeType.CKA_DECRYPT, "encrypt (keyring keys have no CKA_ENCRYPT)");
  }

  /**
   * Decrypts; every authentication or padding failure is the same CKR_ENCRYPTED_DATA_INVALID,
   * except CKM_RSA_PKCS with {@link MechanismParams.TlsPremaster} parameters, which never fails on
   * the ciphertext's content: it answers 48 bytes whatever the padding was.
   */
  byte[] decrypt(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    try (LoadedKey k = objects.use(keyringId, key)) {
      k.requireFlag(AttributeType.CKA_DECRYPT, "decrypt");
      return decrypt(k, mechanism, params, data);
    }
  }

  private byte[] decrypt(LoadedKey k, Mechanism mechanism, MechanismParams params, byte[] data) {
    try {
      return decipher(k, mechanism, params, data);
    } catch (HsmException e) {
      throw e;
    } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          mechanism + " parameters are invalid: " + e.getMessage());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(ResultCode.CKR_ENCRYPTED_DATA_INVALID, "decryption failed");
    }
  }

  private byte[] decipher(LoadedKey k, Mechanism mechanism, MechanismParams params, byte[] data)
      throws GeneralSecurityException {
    switch (mechanism) {
      case CKM_AES_GCM:
        {
          k.requireType(ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
          MechanismParams.Gcm g = gcm(params);
          byte[] iv = g.hasIv() ? g.iv() : prefix(data, 12);
          int off = g.hasIv() ? 0 : 12;
          Cipher c = gcmCipher(iv.length);
          c.init(Cipher.DECRYPT_MODE, k.secretKey("AES"), new GCMParameterSpec(g.tagBits(), iv));
          c.updateAAD(g.aad());
          return c.doFinal(data, off, data.length - off);
        }
      case CKM_AES_CBC_PAD:
        {
          k.requireType(ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
          MechanismParams.Cbc cbc = cbc(params);
          byte[] iv = cbc.hasIv() ? cbc.iv() : prefix(data, 16);
          int off = cbc.hasIv() ? 0 : 16;
          if ((data.length - off) % 16 != 0 || data.length - off == 0) {
            throw new HsmException(
                ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
                "AES-CBC ciphertext must be a non-empty multiple of 16 bytes");
          }
          Cipher c =
              Cipher.getInstance("AES/CBC/PKCS5Padding", engines.provider(EngineFamily.AES_CBC));
          c.init(Cipher.DECRYPT_MODE, k.secretKey("AES"), new IvParameterSpec(iv));
          return c.doFinal(data, off, data.length - off);
        }
      case CKM_RSA_PKCS_OAEP:
        k.requireType(ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
        return rsa.oaep(Cipher.DECRYPT_MODE, k, params, data);
      case CKM_RSA_PKCS:
        {
          k.requireType(ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
          if (params instanceof MechanismParams.TlsPremaster) {
            return premaster.decrypt(k, (MechanismParams.TlsPremaster) params, data);
          }
          return rsa.pkcs1Decryptor(k).doFinal(data);
        }
      default:
        throw new HsmException(
            ResultCode.CKR_MECHANISM_INVALID,
            mechanism
                + " cannot decrypt; use CKM_AES_GCM, CKM_AES_CBC_PAD, CKM_RSA_PKCS_OAEP or"
                + " CKM_RSA_PKCS");
    }
  }

  private Cipher gcmCipher(int ivLength) throws GeneralSecurityException {
    // ACCP takes 12-byte IVs only; other lengths go to the JDK's GCM
    Provider p = engines.provider(EngineFamily.AES_GCM);
    if (ivLength != 12 && CryptoEngines.engineName(p).equals("ACCP")) {
      p = Security.getProvider("SunJCE");
    }
    return Cipher.getInstance("AES/GCM/NoPadding", p);
  }

  private static MechanismParams.Gcm gcm(MechanismParams params) {
    if (params == null || params == MechanismParams.NONE) {
      return MechanismParams.Gcm.generatedIv(null);
    }
    if (!(params instanceof MechanismParams.Gcm)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "AES-GCM needs GCM parameters");
    }
    MechanismParams.Gcm g = (MechanismParams.Gcm) params;
    if (g.tagBits() < 96 || g.tagBits() > 128 || g.tagBits() % 8 != 0) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          "GCM tag length must be 96 to 128 bits in steps of 8, got " + g.tagBits());
    }
    return g;
  }

  private static MechanismParams.Cbc cbc(MechanismParams params) {
    if (params == null || params == MechanismParams.NONE) {
      return new MechanismParams.Cbc(null);
    }
    if (!(params instanceof MechanismParams.Cbc)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "AES-CBC needs an IV parameter");
    }
    MechanismParams.Cbc c = (MechanismParams.Cbc) params;
    if (c.hasIv() && c.iv().length != 16) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          "AES-CBC IV must be 16 bytes, got " + c.iv().length);
    }
    return c;
  }

  private static byte[] prefix(byte[] data, int n) {
    if (data.length < n) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
          "the ciphertext is shorter than the " + n + "-byte IV it should start with");
    }
    return Arrays.copyOf(data, n);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
