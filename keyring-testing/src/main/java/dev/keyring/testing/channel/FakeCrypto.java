package dev.keyring.testing.channel;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The cryptography of a fake member, in software with the JDK: what a member's boundary does with a
 * key object, with the refusals a member gives (a missing usage flag, a key of the wrong type, a
 * ciphertext that does not decrypt). Every decryption failure is the one
 * CKR_ENCRYPTED_DATA_INVALID.
 */
final class FakeCrypto {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_RANDOM = 65_536;
  private static final int TLS_PREMASTER_LENGTH = 48;

  private FakeCrypto() {}

  /** {@code data}, which a call requires; CKR_ARGUMENTS_BAD when it is missing. */
  static byte[] required(byte[] data) {
    if (data == null) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "data is required");
    }
    return data;
  }

  static byte[] sign(FakeObject k, Mechanism m, MechanismParams p, byte[] data) {
    requireFlag(k, AttributeType.CKA_SIGN, "sign");
    try {
      if (m.use() == Mechanism.Use.MAC) {
        requireType(k, ObjectClass.SECRET_KEY, KeyType.GENERIC_SECRET, m);
        return mac(k, m, data);
      }
      requireType(k, ObjectClass.PRIVATE_KEY, signKeyType(m), m);
      if (m == Mechanism.CKM_RSA_PKCS) {
        int max = (((RSAPublicKey) k.publicKey()).getModulus().bitLength() + 7) / 8 - 11;
        if (data.length > max) {
          throw new HsmException(
              ResultCode.CKR_DATA_LEN_RANGE,
              "CKM_RSA_PKCS signs at most " + max + " bytes with this key, got " + data.length);
        }
      }
      Signature s = signature(m, p);
      s.initSign(k.privateKey());
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "signing with " + k + " failed: " + e.getMessage());
    }
  }

  /** Whether {@code signature} verifies; a signature of the wrong length simply does not. */
  static boolean verify(FakeObject k, Mechanism m, MechanismParams p, byte[] data, byte[] sig) {
    try {
      if (m.use() == Mechanism.Use.MAC) {
        requireType(k, ObjectClass.SECRET_KEY, KeyType.GENERIC_SECRET, m);
        requireFlag(k, AttributeType.CKA_SIGN, "verify a MAC");
        return MessageDigest.isEqual(mac(k, m, data), sig);
      }
      if (k.keyType() != signKeyType(m) || k.objectClass() == ObjectClass.SECRET_KEY) {
        throw typeMismatch(k, m);
      }
      Signature s = signature(m, p);
      s.initVerify(k.publicKey());
      s.update(data);
      try {
        return s.verify(sig);
      } catch (GeneralSecurityException | RuntimeException malformed) {
        return false;
      }
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "verifying with " + k + " failed: " + e.getMessage());
    }
  }

  /** AES-GCM and AES-CBC-PAD (an IV made here goes in front), RSA-OAEP with the public part. */
  static byte[] encrypt(FakeObject k, Mechanism m, MechanismParams p, byte[] data) {
    try {
      switch (m) {
        case CKM_AES_GCM:
        case CKM_AES_CBC_PAD:
          {
            requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, m);
            requireFlag(k, AttributeType.CKA_DECRYPT, "encrypt (keyring keys have no CKA_ENCRYPT)");
            boolean gcm = m == Mechanism.CKM_AES_GCM;
            byte[] given = gcm ? gcm(p).iv() : cbc(p).iv();
            byte[] iv = given.length > 0 ? given : random(gcm ? 12 : 16);
            Cipher c = aes(Cipher.ENCRYPT_MODE, k, p, iv);
            byte[] ct = c.doFinal(data);
            return given.length > 0 ? ct : concat(iv, ct);
          }
        case CKM_RSA_PKCS_OAEP:
          if (k.keyType() != KeyType.RSA) {
            throw typeMismatch(k, m);
          }
          return oaep(Cipher.ENCRYPT_MODE, k.publicKey(), p).doFinal(data);
        default:
          throw new HsmException(
              ResultCode.CKR_MECHANISM_INVALID,
              m + " cannot encrypt; use CKM_AES_GCM, CKM_AES_CBC_PAD or CKM_RSA_PKCS_OAEP");
      }
    } catch (javax.crypto.IllegalBlockSizeException e) {
      throw new HsmException(ResultCode.CKR_DATA_LEN_RANGE, "the data is too long for " + m);
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "encryption failed: " + e.getMessage());
    }
  }

  static byte[] decrypt(FakeObject k, Mechanism m, MechanismParams p, byte[] data) {
    requireFlag(k, AttributeType.CKA_DECRYPT, "decrypt");
    try {
      switch (m) {
        case CKM_AES_GCM:
        case CKM_AES_CBC_PAD:
          {
            requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, m);
            boolean gcm = m == Mechanism.CKM_AES_GCM;
            byte[] given = gcm ? gcm(p).iv() : cbc(p).iv();
            int off = given.length > 0 ? 0 : gcm ? 12 : 16;
            if (data.length < off) {
              throw new HsmException(
                  ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE, "the input is shorter than its IV");
            }
            if (!gcm && ((data.length - off) % 16 != 0 || data.length == off)) {
              throw new HsmException(
                  ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
                  "AES-CBC ciphertext must be a non-empty multiple of 16 bytes");
            }
            byte[] iv = off > 0 ? Arrays.copyOf(data, off) : given;
            return aes(Cipher.DECRYPT_MODE, k, p, iv).doFinal(data, off, data.length - off);
          }
        case CKM_RSA_PKCS_OAEP:
          requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, m);
          return oaep(Cipher.DECRYPT_MODE, k.privateKey(), p).doFinal(data);
        case CKM_RSA_PKCS:
          requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, m);
          if (p instanceof MechanismParams.TlsPremaster) {
            return tlsPremaster(k, (MechanismParams.TlsPremaster) p, data);
          }
          return pkcs1(k).doFinal(data);
        default:
          throw new HsmException(
              ResultCode.CKR_MECHANISM_INVALID,
              m
                  + " cannot decrypt; use CKM_AES_GCM, CKM_AES_CBC_PAD, CKM_RSA_PKCS_OAEP or"
                  + " CKM_RSA_PKCS");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      if (e instanceof HsmException) {
        throw (HsmException) e;
      }
      throw new HsmException(ResultCode.CKR_ENCRYPTED_DATA_INVALID, "decryption failed");
    }
  }

  /**
   * Wraps a secret key out with AES-KWP under an AES key generated inside with CKA_WRAP and without
   * CKA_DECRYPT; private keys and wrapping keys never leave.
   */
  static byte[] wrap(FakeObject wrapping, Mechanism m, MechanismParams p, FakeObject target) {
    if (m != Mechanism.CKM_AES_KEY_WRAP_KWP && m != Mechanism.CKM_AES_KEY_WRAP) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID,
          m
              + " cannot wrap keys: keys are wrapped out only with CKM_AES_KEY_WRAP_KWP or"
              + " CKM_AES_KEY_WRAP");
    }
    requireFlag(wrapping, AttributeType.CKA_WRAP, "wrap");
    if (wrapping.flag(AttributeType.CKA_DECRYPT)) {
      throw new HsmException(
          ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
          wrapping + " may not wrap: it also has CKA_DECRYPT");
    }
    if (wrapping.objectClass() == ObjectClass.SECRET_KEY && !wrapping.generatedInside()) {
      throw new HsmException(
          ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
          wrapping + " may not wrap: it was not generated on the keyring");
    }
    if (target.objectClass() != ObjectClass.SECRET_KEY) {
      throw new HsmException(
          ResultCode.CKR_KEY_UNEXTRACTABLE,
          target + " is not a secret key; only secret keys can be wrapped out of a keyring");
    }
    if (target.flag(AttributeType.CKA_WRAP)) {
      throw new HsmException(
          ResultCode.CKR_KEY_UNEXTRACTABLE,
          target + " has CKA_WRAP; wrapping keys never leave the keyring");
    }
    byte[] raw = target.secretValue();
    try {
      if (m == Mechanism.CKM_AES_KEY_WRAP && (raw.length % 8 != 0 || raw.length < 16)) {
        throw new HsmException(
            ResultCode.CKR_KEY_SIZE_RANGE,
            "CKM_AES_KEY_WRAP wraps keys of a multiple of 8 bytes, at least 16; got " + raw.length);
      }
      return kwp(Cipher.ENCRYPT_MODE, wrapping, m).doFinal(raw);
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "wrapping failed");
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /** The plaintext of a wrapped key (AES-KWP, RSA-OAEP or RSA PKCS#1 v1.5). */
  static byte[] unwrap(FakeObject k, Mechanism m, MechanismParams p, byte[] wrapped) {
    requireFlag(k, AttributeType.CKA_UNWRAP, "unwrap");
    try {
      switch (m) {
        case CKM_AES_KEY_WRAP_KWP:
        case CKM_AES_KEY_WRAP:
          return kwp(Cipher.DECRYPT_MODE, k, m).doFinal(wrapped);
        case CKM_RSA_PKCS_OAEP:
          requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, m);
          return oaep(Cipher.DECRYPT_MODE, k.privateKey(), p).doFinal(wrapped);
        case CKM_RSA_PKCS:
          requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, m);
          return pkcs1(k).doFinal(wrapped);
        default:
          throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, m + " cannot unwrap keys");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      if (e instanceof HsmException) {
        throw (HsmException) e;
      }
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID, "the wrapped key could not be unwrapped with " + k);
    }
  }

  /** The ECDH shared secret of an EC private key and the peer's public key (SPKI or point). */
  static byte[] ecdh(FakeObject k, Mechanism m, MechanismParams p) {
    if (m != Mechanism.CKM_ECDH1_DERIVE) {
      throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, m + " cannot derive keys");
    }
    if (!(p instanceof MechanismParams.Ecdh)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "ECDH needs the peer's public key");
    }
    requireType(k, ObjectClass.PRIVATE_KEY, KeyType.EC, m);
    if (k.flag(AttributeType.CKA_SIGN)) {
      throw new HsmException(
          ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
          k + " may not derive: it has CKA_SIGN (an EC key derives only without it)");
    }
    Curve curve = Curve.fromOidDer(k.attributes().bytes(AttributeType.CKA_ECDSA_PARAMS).get());
    PublicKey peer = peer(((MechanismParams.Ecdh) p).peerPublicKey(), curve);
    try {
      KeyAgreement ka = KeyAgreement.getInstance("ECDH");
      ka.init(k.privateKey());
      ka.doPhase(peer, true);
      return ka.generateSecret();
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "ECDH with this peer key failed");
    }
  }

  static byte[] random(int length) {
    if (length < 1 || length > MAX_RANDOM) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "random length must be 1 to " + MAX_RANDOM + ", got " + length);
    }
    byte[] out = new byte[length];
    RANDOM.nextBytes(out);
    return out;
  }

  // ---- engines

  private static byte[] mac(FakeObject k, Mechanism m, byte[] data)
      throws GeneralSecurityException {
    String alg = "Hmac" + m.digest().name();
    Mac mac = Mac.getInstance(alg);
    mac.init(k.secretKey(alg));
    return mac.doFinal(data);
  }

  private static Signature signature(Mechanism m, MechanismParams p)
      throws GeneralSecurityException {
    switch (m) {
      case CKM_RSA_PKCS:
        return Signature.getInstance("NONEwithRSA");
      case CKM_SHA256_RSA_PKCS:
      case CKM_SHA384_RSA_PKCS:
      case CKM_SHA512_RSA_PKCS:
        return Signature.getInstance(m.digest().name() + "withRSA");
      case CKM_SHA256_RSA_PKCS_PSS:
      case CKM_SHA384_RSA_PKCS_PSS:
      case CKM_SHA512_RSA_PKCS_PSS:
        {
          MechanismParams.Pss pss =
              p instanceof MechanismParams.Pss
                  ? (MechanismParams.Pss) p
                  : MechanismParams.Pss.of(m.digest());
          if (pss.hash() != m.digest()) {
            throw new HsmException(
                ResultCode.CKR_MECHANISM_PARAM_INVALID,
                m + " hashes with " + m.digest() + " but the PSS parameters name " + pss.hash());
          }
          Signature s = Signature.getInstance("RSASSA-PSS");
          s.setParameter(
              new PSSParameterSpec(
                  pss.hash().jcaName(),
                  "MGF1",
                  new MGF1ParameterSpec(pss.mgfHash().jcaName()),
                  pss.saltLength(),
                  PSSParameterSpec.TRAILER_FIELD_BC));
          return s;
        }
      case CKM_ECDSA:
        return Signature.getInstance("NONEwithECDSA");
      case CKM_ECDSA_SHA256:
      case CKM_ECDSA_SHA384:
      case CKM_ECDSA_SHA512:
        return Signature.getInstance(m.digest().name() + "withECDSA");
      case CKM_EDDSA:
        return Signature.getInstance("Ed25519");
      default:
        throw new HsmException(
            ResultCode.CKR_MECHANISM_INVALID, m + " is not a signature mechanism");
    }
  }

  private static KeyType signKeyType(Mechanism m) {
    if (!m.signs()) {
      throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, m + " is not a signature mechanism");
    }
    if (m == Mechanism.CKM_EDDSA) {
      return KeyType.EC_EDWARDS;
    }
    return m.name().contains("ECDSA") ? KeyType.EC : KeyType.RSA;
  }

  private static Cipher aes(int mode, FakeObject k, MechanismParams p, byte[] iv)
      throws GeneralSecurityException {
    if (p instanceof MechanismParams.Gcm) {
      MechanismParams.Gcm g = (MechanismParams.Gcm) p;
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, k.secretKey("AES"), new GCMParameterSpec(g.tagBits(), iv));
      c.updateAAD(g.aad());
      return c;
    }
    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
    c.init(mode, k.secretKey("AES"), new IvParameterSpec(iv));
    return c;
  }

  private static MechanismParams.Gcm gcm(MechanismParams p) {
    if (!(p instanceof MechanismParams.Gcm)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "AES-GCM needs GCM parameters");
    }
    return (MechanismParams.Gcm) p;
  }

  private static MechanismParams.Cbc cbc(MechanismParams p) {
    if (!(p instanceof MechanismParams.Cbc)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "AES-CBC needs an IV parameter");
    }
    MechanismParams.Cbc c = (MechanismParams.Cbc) p;
    if (c.hasIv() && c.iv().length != 16) {
      throw new HsmException(ResultCode.CKR_MECHANISM_PARAM_INVALID, "the CBC IV is 16 bytes");
    }
    return c;
  }

  private static Cipher oaep(int mode, Key key, MechanismParams p) throws GeneralSecurityException {
    if (!(p instanceof MechanismParams.Oaep)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "RSA-OAEP needs its hash, MGF1 hash and label");
    }
    MechanismParams.Oaep o = (MechanismParams.Oaep) p;
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(
        mode,
        key,
        new OAEPParameterSpec(
            o.hash().jcaName(),
            "MGF1",
            new MGF1ParameterSpec(o.mgfHash().jcaName()),
            new PSource.PSpecified(o.label())));
    return c;
  }

  private static Cipher kwp(int mode, FakeObject k, Mechanism m) throws GeneralSecurityException {
    requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, m);
    Cipher kwp =
        Cipher.getInstance(
            m == Mechanism.CKM_AES_KEY_WRAP ? "AES/KW/NoPadding" : "AES/KWP/NoPadding");
    kwp.init(mode, k.secretKey("AES"));
    return kwp;
  }

  private static Cipher pkcs1(FakeObject k) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    c.init(Cipher.DECRYPT_MODE, k.privateKey());
    return c;
  }

  /**
   * A TLS RSA premaster secret: the plaintext when it is 48 bytes starting with the client's
   * version, else 48 random bytes starting with it (the answer never tells padding failures apart).
   */
  private static byte[] tlsPremaster(FakeObject k, MechanismParams.TlsPremaster t, byte[] data) {
    byte[] replacement = random(TLS_PREMASTER_LENGTH);
    replacement[0] = (byte) (t.clientVersion() >>> 8);
    replacement[1] = (byte) t.clientVersion();
    byte[] plain;
    try {
      plain = pkcs1(k).doFinal(data);
    } catch (GeneralSecurityException | RuntimeException e) {
      return replacement;
    }
    if (plain.length != TLS_PREMASTER_LENGTH) {
      return replacement;
    }
    int version = ((plain[0] & 0xff) << 8) | (plain[1] & 0xff);
    boolean ok =
        version == t.clientVersion()
            || (t.clientVersion() <= 0x0301 && version == t.serverVersion());
    return ok ? plain : replacement;
  }

  private static PublicKey peer(byte[] encoded, Curve curve) {
    try {
      PublicKey k =
          encoded.length > 0 && encoded[0] == 0x04
              ? KeyFactory.getInstance("EC")
                  .generatePublic(
                      new ECPublicKeySpec(
                          PublicKeyAttributes.decodeUncompressed(encoded, curve),
                          PublicKeyAttributes.ecParams(curve)))
              : KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(encoded));
      if (!(k instanceof ECPublicKey)
          || PublicKeyAttributes.curveOf(((ECPublicKey) k).getParams()) != curve) {
        throw new GeneralSecurityException("the peer key is on another curve");
      }
      return k;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          "the ECDH peer public key is not a valid " + curve + " key: " + e.getMessage());
    }
  }

  // ---- checks

  private static void requireFlag(FakeObject k, AttributeType flag, String what) {
    if (!k.flag(flag)) {
      throw new HsmException(
          ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, k + " may not " + what + " (no " + flag + ")");
    }
  }

  private static void requireType(FakeObject k, ObjectClass c, KeyType t, Mechanism m) {
    if (k.objectClass() != c || k.keyType() != t) {
      throw typeMismatch(k, m);
    }
  }

  private static HsmException typeMismatch(FakeObject k, Mechanism m) {
    return new HsmException(ResultCode.CKR_KEY_TYPE_INCONSISTENT, m + " cannot use " + k);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
