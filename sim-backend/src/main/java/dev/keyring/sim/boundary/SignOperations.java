package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.UUID;
import javax.crypto.Mac;

/**
 * Signatures and MACs: RSA PKCS#1 v1.5 (hash-and-sign, and raw CKM_RSA_PKCS over a DigestInfo the
 * caller built), PSS, ECDSA, Ed25519, HMAC. Signing needs CKA_SIGN on a private key (or an HMAC
 * key); verification takes a public key object or a private key's public part and needs no flag.
 */
final class SignOperations {
  private final CryptoEngines engines;
  private final KeyringObjects objects;

  SignOperations(CryptoEngines engines, KeyringObjects objects) {
    this.engines = engines;
    this.objects = objects;
  }

  /** Signs (or MACs, with an HMAC mechanism) {@code data}. */
  byte[] sign(UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    try (LoadedKey k = objects.use(keyringId, key)) {
      k.requireFlag(AttributeType.CKA_SIGN, "sign");
      try {
        if (mechanism.use() == Mechanism.Use.MAC) {
          k.requireType(ObjectClass.SECRET_KEY, KeyType.GENERIC_SECRET, mechanism);
          return mac(k, mechanism, data);
        }
        k.requireType(ObjectClass.PRIVATE_KEY, keyType(mechanism), mechanism);
        if (mechanism == Mechanism.CKM_RSA_PKCS) {
          requireRawRsaLength(k, data);
        }
        Provider p = provider(mechanism);
        Signature s = signature(mechanism, params, p);
        s.initSign(k.privateKey(p));
        s.update(data);
        return s.sign();
      } catch (HsmException e) {
        throw e;
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "signing with " + k.describe() + " failed: " + e.getMessage());
      }
    }
  }

  /**
   * Verifies a signature (or MAC). A bad signature throws CKR_SIGNATURE_INVALID
   * (CKR_SIGNATURE_LEN_RANGE when its length cannot be right).
   */
  void verify(
      UUID keyringId,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data,
      byte[] signature) {
    boolean ok;
    try (LoadedKey k = objects.use(keyringId, key)) {
      try {
        ok =
            mechanism.use() == Mechanism.Use.MAC
                ? verifyMac(k, mechanism, data, signature)
                : verifySignature(k, mechanism, params, data, signature);
      } catch (HsmException e) {
        throw e;
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "verifying with " + k.describe() + " failed: " + e.getMessage());
      }
    }
    if (!ok) {
      throw new HsmException(ResultCode.CKR_SIGNATURE_INVALID, "the signature does not verify");
    }
  }

  private boolean verifyMac(LoadedKey k, Mechanism mechanism, byte[] data, byte[] signature)
      throws GeneralSecurityException {
    k.requireType(ObjectClass.SECRET_KEY, KeyType.GENERIC_SECRET, mechanism);
    k.requireFlag(AttributeType.CKA_SIGN, "verify a MAC");
    byte[] mac = mac(k, mechanism, data);
    if (signature.length != mac.length) {
      throw new HsmException(
          ResultCode.CKR_SIGNATURE_LEN_RANGE,
          "MAC must be " + mac.length + " bytes, got " + signature.length);
    }
    return MessageDigest.isEqual(mac, signature);
  }

  private boolean verifySignature(
      LoadedKey k, Mechanism mechanism, MechanismParams params, byte[] data, byte[] signature)
      throws GeneralSecurityException {
    if (k.keyType != keyType(mechanism)
        || (k.objectClass != ObjectClass.PUBLIC_KEY && k.objectClass != ObjectClass.PRIVATE_KEY)) {
      throw k.typeMismatch(mechanism);
    }
    Provider p = provider(mechanism);
    PublicKey pub = k.publicKey(p);
    if (k.keyType == KeyType.RSA) {
      int modLen = k.record.attributes().bytes(AttributeType.CKA_MODULUS).get().length;
      if (signature.length != modLen) {
        throw new HsmException(
            ResultCode.CKR_SIGNATURE_LEN_RANGE,
            "an RSA signature with this key is " + modLen + " bytes, got " + signature.length);
      }
    }
    Signature s = signature(mechanism, params, p);
    s.initVerify(pub);
    s.update(data);
    try {
      return s.verify(signature);
    } catch (SignatureException | RuntimeException e) {
      return false;
    }
  }

  /**
   * CKM_RSA_PKCS signs at most the modulus length less 11 bytes (type 1 padding needs 8 bytes of
   * 0xFF and 3 fixed bytes).
   */
  private static void requireRawRsaLength(LoadedKey k, byte[] data) {
    int modLen = k.record.attributes().bytes(AttributeType.CKA_MODULUS).get().length;
    if (data.length > modLen - 11) {
      throw new HsmException(
          ResultCode.CKR_DATA_LEN_RANGE,
          "CKM_RSA_PKCS signs at most "
              + (modLen - 11)
              + " bytes with this key (modulus length less 11), got "
              + data.length);
    }
  }

  /**
   * The engine of the mechanism's family; for raw RSA PKCS#1 v1.5 the JDK's (SunJCE, whose RSA
   * cipher {@code Signature.getInstance("NONEwithRSA", p)} adapts) when that engine has no
   * NONEwithRSA signature.
   */
  private Provider provider(Mechanism m) {
    Provider p = engines.provider(family(m));
    if (m == Mechanism.CKM_RSA_PKCS && p.getService("Signature", "NONEwithRSA") == null) {
      return Security.getProvider("SunJCE");
    }
    return p;
  }

  private byte[] mac(LoadedKey k, Mechanism mechanism, byte[] data)
      throws GeneralSecurityException {
    String alg = "Hmac" + mechanism.digest().name();
    Mac m = Mac.getInstance(alg, engines.provider(EngineFamily.HMAC));
    m.init(k.secretKey(alg));
    return m.doFinal(data);
  }

  private static KeyType keyType(Mechanism m) {
    switch (m) {
      case CKM_RSA_PKCS:
      case CKM_SHA256_RSA_PKCS:
      case CKM_SHA384_RSA_PKCS:
      case CKM_SHA512_RSA_PKCS:
      case CKM_SHA256_RSA_PKCS_PSS:
      case CKM_SHA384_RSA_PKCS_PSS:
      case CKM_SHA512_RSA_PKCS_PSS:
        return KeyType.RSA;
      case CKM_ECDSA:
      case CKM_ECDSA_SHA256:
      case CKM_ECDSA_SHA384:
      case CKM_ECDSA_SHA512:
        return KeyType.EC;
      case CKM_EDDSA:
        return KeyType.EC_EDWARDS;
      default:
        throw new HsmException(
            ResultCode.CKR_MECHANISM_INVALID, m + " is not a signature mechanism");
    }
  }

  private static EngineFamily family(Mechanism m) {
    switch (keyType(m)) {
      case RSA:
        return m.name().endsWith("_PSS") ? EngineFamily.RSA_PSS_SIGN : EngineFamily.RSA_PKCS1_SIGN;
      case EC:
        return EngineFamily.ECDSA;
      default:
        return EngineFamily.ED25519;
    }
  }

  private static Signature signature(Mechanism m, MechanismParams params, Provider p)
      throws GeneralSecurityException {
    switch (m) {
      case CKM_RSA_PKCS:
        return Signature.getInstance("NONEwithRSA", p);
      case CKM_SHA256_RSA_PKCS:
        return Signature.getInstance("SHA256withRSA", p);
      case CKM_SHA384_RSA_PKCS:
        return Signature.getInstance("SHA384withRSA", p);
      case CKM_SHA512_RSA_PKCS:
        return Signature.getInstance("SHA512withRSA", p);
      case CKM_SHA256_RSA_PKCS_PSS:
      case CKM_SHA384_RSA_PKCS_PSS:
      case CKM_SHA512_RSA_PKCS_PSS:
        return pss(m, params, p);
      case CKM_ECDSA:
        return Signature.getInstance("NONEwithECDSA", p);
      case CKM_ECDSA_SHA256:
        return Signature.getInstance("SHA256withECDSA", p);
      case CKM_ECDSA_SHA384:
        return Signature.getInstance("SHA384withECDSA", p);
      case CKM_ECDSA_SHA512:
        return Signature.getInstance("SHA512withECDSA", p);
      case CKM_EDDSA:
        return Signature.getInstance("Ed25519", p);
      default:
        throw new HsmException(
            ResultCode.CKR_MECHANISM_INVALID, m + " is not a signature mechanism");
    }
  }

  private static Signature pss(Mechanism m, MechanismParams params, Provider p)
      throws GeneralSecurityException {
    MechanismParams.Pss pss =
        params instanceof MechanismParams.Pss
            ? (MechanismParams.Pss) params
            : MechanismParams.Pss.of(m.digest());
    if (pss.hash() != m.digest()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          m + " hashes with " + m.digest() + " but the PSS parameters name " + pss.hash());
    }
    if (pss.saltLength() < 0 || pss.saltLength() > 512) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "PSS salt length must be 0 to 512 bytes");
    }
    Signature s = Signature.getInstance("RSASSA-PSS", p);
    s.setParameter(
        new PSSParameterSpec(
            pss.hash().jcaName(),
            "MGF1",
            new MGF1ParameterSpec(pss.mgfHash().jcaName()),
            pss.saltLength(),
            1));
    return s;
  }
}
