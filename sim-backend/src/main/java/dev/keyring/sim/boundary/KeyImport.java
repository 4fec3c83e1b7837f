package dev.keyring.sim.boundary;

import static dev.keyring.sim.boundary.ObjectTemplates.checkSecretLength;
import static dev.keyring.sim.boundary.ObjectTemplates.defaultId;
import static dev.keyring.sim.boundary.ObjectTemplates.keyTemplate;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.UUID;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Key material that entered the boundary in plaintext (just unwrapped, or just derived) becoming a
 * keyring object: a secret key checked for its length, or a PKCS#8 private key parsed, checked
 * against its type and given its public attributes. The plaintext is wiped whatever happens. Such
 * keys have the origin {@link KeyOrigin#OUTSIDE}: someone outside may know their value.
 */
final class KeyImport {
  private final KeyringObjects objects;

  KeyImport(KeyringObjects objects) {
    this.objects = objects;
  }

  /**
   * Stores {@code plain} (raw secret bytes, or PKCS#8 for a private key) as an object of class
   * {@code c} and type {@code type} with the caller's {@code template}. Takes ownership of {@code
   * plain}.
   */
  ObjectRecord store(
      UUID keyringId, ObjectClass c, KeyType type, Attributes template, SecretBytes plain) {
    if (c == ObjectClass.SECRET_KEY) {
      Attributes attrs;
      try {
        checkSecretLength(type, plain.length());
        attrs = keyTemplate(template, c, type, Attributes.empty(), null, KeyOrigin.OUTSIDE);
      } catch (RuntimeException e) {
        plain.destroy();
        throw e;
      }
      return objects.insertSecret(keyringId, c, type, attrs, KeyOrigin.OUTSIDE, plain);
    }
    ImportedPrivateKey imported;
    try {
      imported = parsePrivate(type, plain);
    } finally {
      plain.destroy();
    }
    Attributes attrs;
    try {
      attrs =
          keyTemplate(
              template,
              c,
              type,
              imported.publicAttrs,
              defaultId(imported.publicAttrs),
              KeyOrigin.OUTSIDE);
    } catch (RuntimeException e) {
      imported.pkcs8.destroy();
      throw e;
    }
    return objects.insertSecret(keyringId, c, type, attrs, KeyOrigin.OUTSIDE, imported.pkcs8);
  }

  private record ImportedPrivateKey(SecretBytes pkcs8, Attributes publicAttrs) {}

  /** Parses an imported PKCS#8 key, checks it matches the type, and derives its public part. */
  private static ImportedPrivateKey parsePrivate(KeyType type, SecretBytes secret) {
    byte[] der = secret.reveal(SecretKeyAccess.INSTANCE);
    try {
      PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
      switch (type) {
        case RSA:
          return rsa(spec);
        case EC:
          return ec(spec);
        case EC_EDWARDS:
          return ed25519(spec);
        default:
          throw new HsmException(
              ResultCode.CKR_TEMPLATE_INCONSISTENT, type + " is not a key pair type");
      }
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | ClassCastException | IllegalArgumentException e) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "the unwrapped bytes are not a PKCS#8 " + type + " private key");
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  private static ImportedPrivateKey rsa(PKCS8EncodedKeySpec spec) throws GeneralSecurityException {
    PrivateKey k = KeyFactory.getInstance("RSA", "SunRsaSign").generatePrivate(spec);
    if (!(k instanceof RSAPrivateCrtKey)) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID, "an RSA private key must carry its CRT parameters");
    }
    RSAPrivateCrtKey crt = (RSAPrivateCrtKey) k;
    int bits = crt.getModulus().bitLength();
    if (bits < 2048 || bits > 4096) {
      throw new HsmException(
          ResultCode.CKR_KEY_SIZE_RANGE, "RSA keys must be 2048 to 4096 bits, this one is " + bits);
    }
    PublicKey pub =
        KeyFactory.getInstance("RSA", "SunRsaSign")
            .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
    return new ImportedPrivateKey(SecretBytes.adopt(k.getEncoded()), PublicKeyAttributes.of(pub));
  }

  private static ImportedPrivateKey ec(PKCS8EncodedKeySpec spec) throws GeneralSecurityException {
    ECPrivateKey k = (ECPrivateKey) KeyFactory.getInstance("EC", "SunEC").generatePrivate(spec);
    Curve curve = PublicKeyAttributes.curveOf(k.getParams());
    X9ECParameters x9 = ECNamedCurveTable.getByName(curve.jcaName());
    BigInteger s = k.getS();
    if (s.signum() <= 0 || s.compareTo(x9.getN()) >= 0) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID, "the EC private scalar is out of range");
    }
    ECPoint q = x9.getG().multiply(s).normalize();
    byte[] point = q.getEncoded(false);
    Attributes pub =
        Attributes.builder()
            .keyType(KeyType.EC)
            .set(AttributeType.CKA_ECDSA_PARAMS, curve.oidDer())
            .set(AttributeType.CKA_EC_POINT, PublicKeyAttributes.octetString(point))
            .build();
    return new ImportedPrivateKey(SecretBytes.adopt(k.getEncoded()), pub);
  }

  private static ImportedPrivateKey ed25519(PKCS8EncodedKeySpec spec)
      throws GeneralSecurityException {
    EdECPrivateKey k =
        (EdECPrivateKey) KeyFactory.getInstance("Ed25519", "SunEC").generatePrivate(spec);
    byte[] seed =
        k.getBytes()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_WRAPPED_KEY_INVALID, "Ed25519 key has no seed"));
    byte[] pubBytes = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
    Arrays.fill(seed, (byte) 0);
    Attributes pub =
        Attributes.builder()
            .keyType(KeyType.EC_EDWARDS)
            .set(AttributeType.CKA_ECDSA_PARAMS, Curve.ED25519.oidDer())
            .set(AttributeType.CKA_EC_POINT, PublicKeyAttributes.octetString(pubBytes))
            .build();
    return new ImportedPrivateKey(SecretBytes.adopt(k.getEncoded()), pub);
  }
}
