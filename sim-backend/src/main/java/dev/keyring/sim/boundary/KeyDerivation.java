package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.KeyAgreement;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Key derivation: ECDH (CKM_ECDH1_DERIVE, no KDF) from an EC private key of the keyring and a
 * peer's public key. Keyrings have no CKA_DERIVE: an EC private key without CKA_SIGN is a
 * key-agreement key and derives, one with CKA_SIGN signs only. The derived key has the origin
 * {@link KeyOrigin#OUTSIDE} (the caller may hold the peer's private key), so it never wraps.
 */
final class KeyDerivation {
  private final CryptoEngines engines;
  private final KeyringObjects objects;
  private final KeyImport imports;

  KeyDerivation(CryptoEngines engines, KeyringObjects objects, KeyImport imports) {
    this.engines = engines;
    this.objects = objects;
    this.imports = imports;
  }

  /**
   * Derives a secret key from an EC private key and the peer's public key. The template's
   * CKA_KEY_TYPE may be GENERIC_SECRET (default) or AES when the shared secret is 16, 24 or 32
   * bytes.
   */
  ObjectRecord deriveKey(
      UUID keyringId,
      long baseKey,
      Mechanism mechanism,
      MechanismParams params,
      Attributes template) {
    if (mechanism != Mechanism.CKM_ECDH1_DERIVE) {
      throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, mechanism + " cannot derive keys");
    }
    if (!(params instanceof MechanismParams.Ecdh)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "ECDH needs the peer's public key");
    }
    byte[] shared;
    try (LoadedKey k = objects.use(keyringId, baseKey)) {
      k.requireType(ObjectClass.PRIVATE_KEY, KeyType.EC, mechanism);
      KeyUseRules.checkDeriveBase(k);
      Curve curve =
          Curve.fromOidDer(k.record.attributes().bytes(AttributeType.CKA_ECDSA_PARAMS).get());
      Provider p = engines.provider(EngineFamily.ECDH);
      PublicKey peer = parsePeer(((MechanismParams.Ecdh) params).peerPublicKey(), curve, p);
      try {
        KeyAgreement ka = KeyAgreement.getInstance("ECDH", p);
        ka.init(k.privateKey(p));
        ka.doPhase(peer, true);
        shared = ka.generateSecret();
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new HsmException(
            ResultCode.CKR_MECHANISM_PARAM_INVALID, "ECDH with this peer key failed");
      }
    }
    KeyType type = template.keyType().orElse(KeyType.GENERIC_SECRET);
    if (!type.isSecret()) {
      Arrays.fill(shared, (byte) 0);
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT, "ECDH derives AES or GENERIC_SECRET keys");
    }
    return imports.store(
        keyringId,
        ObjectClass.SECRET_KEY,
        type,
        template.without(AttributeType.CKA_CLASS).without(AttributeType.CKA_KEY_TYPE),
        SecretBytes.adopt(shared));
  }

  /**
   * Parses the ECDH peer key (SPKI or uncompressed point) and checks it is on the base key's curve.
   */
  private static PublicKey parsePeer(byte[] encoded, Curve curve, Provider p) {
    try {
      ECPublicKey jdk;
      if (encoded.length > 0 && encoded[0] == 0x04) {
        java.security.spec.ECPoint w = PublicKeyAttributes.decodeUncompressed(encoded, curve);
        jdk =
            (ECPublicKey)
                KeyFactory.getInstance("EC", "SunEC")
                    .generatePublic(new ECPublicKeySpec(w, PublicKeyAttributes.ecParams(curve)));
      } else {
        PublicKey k =
            KeyFactory.getInstance("EC", "SunEC").generatePublic(new X509EncodedKeySpec(encoded));
        if (!(k instanceof ECPublicKey)) {
          throw new GeneralSecurityException("not an EC key");
        }
        jdk = (ECPublicKey) k;
        if (!Arrays.equals(jdk.getEncoded(), encoded)) {
          throw new GeneralSecurityException("peer key is not strict DER with a named curve");
        }
      }
      if (PublicKeyAttributes.curveOf(jdk.getParams()) != curve) {
        throw new GeneralSecurityException("peer key is on another curve");
      }
      X9ECParameters x9 = ECNamedCurveTable.getByName(curve.jcaName());
      ECPoint q = x9.getCurve().createPoint(jdk.getW().getAffineX(), jdk.getW().getAffineY());
      if (!q.isValid()) {
        throw new GeneralSecurityException("peer point is not on the curve");
      }
      return CryptoEngines.keyFactory("EC", p)
          .generatePublic(new X509EncodedKeySpec(jdk.getEncoded()));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          "the ECDH peer public key is not a valid " + curve + " key: " + e.getMessage());
    }
  }
}
