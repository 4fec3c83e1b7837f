package dev.keyring.protocol;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * Converts between public keys and the attributes that describe them on a keyring: CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT for RSA; CKA_ECDSA_PARAMS (DER OID) and CKA_EC_POINT (DER OCTET STRING of the
 * uncompressed point, or of the 32-byte Ed25519 key) for EC and Ed25519. Uses only the JDK.
 */
public final class PublicKeyAttributes {
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private PublicKeyAttributes() {}

  /** The public attributes of {@code key} (with CKA_KEY_TYPE set). */
  public static Attributes of(PublicKey key) {
    Attributes.Builder b = Attributes.builder();
    if (key instanceof RSAPublicKey) {
      RSAPublicKey rsa = (RSAPublicKey) key;
      return b.keyType(KeyType.RSA)
          .set(AttributeType.CKA_MODULUS, unsigned(rsa.getModulus()))
          .set(AttributeType.CKA_PUBLIC_EXPONENT, unsigned(rsa.getPublicExponent()))
          .build();
    } else if (key instanceof ECPublicKey) {
      ECPublicKey ec = (ECPublicKey) key;
      Curve curve = curveOf(ec.getParams());
      return b.keyType(KeyType.EC)
          .set(AttributeType.CKA_ECDSA_PARAMS, curve.oidDer())
          .set(AttributeType.CKA_EC_POINT, octetString(uncompressed(ec.getW(), curve)))
          .build();
    } else if ("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
      byte[] spki = key.getEncoded();
      if (spki.length != 44 || !startsWith(spki, ED25519_SPKI_PREFIX)) {
        throw new HsmException(ResultCode.CKR_KEY_TYPE_INCONSISTENT, "not an Ed25519 public key");
      }
      return b.keyType(KeyType.EC_EDWARDS)
          .set(AttributeType.CKA_ECDSA_PARAMS, Curve.ED25519.oidDer())
          .set(AttributeType.CKA_EC_POINT, octetString(Arrays.copyOfRange(spki, 12, 44)))
          .build();
    }
    throw new HsmException(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        "public keys of algorithm " + key.getAlgorithm() + " cannot be stored on a keyring");
  }

  /** The X.509 SubjectPublicKeyInfo encoding of the public key these attributes describe. */
  public static byte[] toSpki(Attributes a) {
    return toPublicKey(a).getEncoded();
  }

  /** A JDK public key from the attributes; CKA_KEY_TYPE must be set. */
  public static PublicKey toPublicKey(Attributes a) {
    KeyType type =
        a.keyType()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_TEMPLATE_INCOMPLETE, "CKA_KEY_TYPE is required"));
    try {
      switch (type) {
        case RSA:
          {
            BigInteger n = new BigInteger(1, require(a, AttributeType.CKA_MODULUS));
            BigInteger e = new BigInteger(1, require(a, AttributeType.CKA_PUBLIC_EXPONENT));
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
          }
        case EC:
          {
            Curve curve = Curve.fromOidDer(require(a, AttributeType.CKA_ECDSA_PARAMS));
            if (curve.isEdwards()) {
              throw new HsmException(
                  ResultCode.CKR_TEMPLATE_INCONSISTENT, "CKK_EC key with an Edwards curve");
            }
            byte[] point = unwrapOctetString(require(a, AttributeType.CKA_EC_POINT));
            ECParameterSpec params = ecParams(curve);
            ECPoint w = decodeUncompressed(point, curve);
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, params));
          }
        case EC_EDWARDS:
          {
            byte[] point = unwrapOctetString(require(a, AttributeType.CKA_EC_POINT));
            if (point.length != 32) {
              throw new HsmException(
                  ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
                  "CKA_EC_POINT of an Ed25519 key must hold 32 bytes, got " + point.length);
            }
            byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, 44);
            System.arraycopy(point, 0, spki, 12, 32);
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
          }
        default:
          throw new HsmException(
              ResultCode.CKR_KEY_TYPE_INCONSISTENT, type + " keys have no public part");
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new HsmException(
          ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
          "the attributes do not describe a valid " + type + " public key: " + e.getMessage());
    }
  }

  /** The curve of JDK EC parameters, matched by field size and order. */
  public static Curve curveOf(ECParameterSpec spec) {
    for (Curve c : Curve.values()) {
      if (!c.isEdwards()) {
        ECParameterSpec p = ecParams(c);
        if (p.getOrder().equals(spec.getOrder()) && p.getCurve().equals(spec.getCurve())) {
          return c;
        }
      }
    }
    throw new HsmException(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT, "EC key on a curve keyrings do not support");
  }

  /** The JDK parameters of a Weierstrass curve. */
  public static ECParameterSpec ecParams(Curve curve) {
    try {
      java.security.AlgorithmParameters ap = java.security.AlgorithmParameters.getInstance("EC");
      ap.init(new java.security.spec.ECGenParameterSpec(curve.jcaName()));
      return ap.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK does not know " + curve, e);
    }
  }

  /** The uncompressed SEC1 encoding (04 || X || Y) of a point. */
  public static byte[] uncompressed(ECPoint w, Curve curve) {
    int n = curve.fieldBytes();
    byte[] out = new byte[1 + 2 * n];
    out[0] = 0x04;
    copyFixed(w.getAffineX(), out, 1, n);
    copyFixed(w.getAffineY(), out, 1 + n, n);
    return out;
  }

  /** Decodes an uncompressed SEC1 point, refusing other encodings. */
  public static ECPoint decodeUncompressed(byte[] point, Curve curve) {
    int n = curve.fieldBytes();
    if (point.length != 1 + 2 * n || point[0] != 0x04) {
      throw new HsmException(
          ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
          "EC point must be uncompressed (04 || X || Y, " + (1 + 2 * n) + " bytes)");
    }
    return new ECPoint(
        new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + n)),
        new BigInteger(1, Arrays.copyOfRange(point, 1 + n, 1 + 2 * n)));
  }

  /** DER OCTET STRING around {@code value} (short or long form length). */
  public static byte[] octetString(byte[] value) {
    int len = value.length;
    byte[] header;
    if (len < 0x80) {
      header = new byte[] {0x04, (byte) len};
    } else if (len < 0x100) {
      header = new byte[] {0x04, (byte) 0x81, (byte) len};
    } else {
      header = new byte[] {0x04, (byte) 0x82, (byte) (len >> 8), (byte) len};
    }
    byte[] out = Arrays.copyOf(header, header.length + len);
    System.arraycopy(value, 0, out, header.length, len);
    return out;
  }

  /**
   * The content of a DER OCTET STRING; a raw value (not starting with 0x04 + length) is refused.
   */
  public static byte[] unwrapOctetString(byte[] der) {
    if (der.length >= 2 && der[0] == 0x04) {
      int len;
      int off;
      if ((der[1] & 0x80) == 0) {
        len = der[1];
        off = 2;
      } else if (der[1] == (byte) 0x81 && der.length >= 3) {
        len = der[2] & 0xff;
        off = 3;
      } else if (der[1] == (byte) 0x82 && der.length >= 4) {
        len = ((der[2] & 0xff) << 8) | (der[3] & 0xff);
        off = 4;
      } else {
        len = -1;
        off = 0;
      }
      if (len >= 0 && off + len == der.length) {
        return Arrays.copyOfRange(der, off, der.length);
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID, "CKA_EC_POINT must be a DER OCTET STRING");
  }

  private static byte[] require(Attributes a, AttributeType t) {
    return a.bytes(t)
        .orElseThrow(
            () -> new HsmException(ResultCode.CKR_TEMPLATE_INCOMPLETE, t.name() + " is required"));
  }

  private static byte[] unsigned(BigInteger x) {
    byte[] b = x.toByteArray();
    return b[0] == 0 && b.length > 1 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static void copyFixed(BigInteger x, byte[] out, int off, int n) {
    byte[] b = unsigned(x);
    if (b.length > n) {
      throw new IllegalArgumentException("coordinate longer than the field");
    }
    System.arraycopy(b, 0, out, off + n - b.length, b.length);
  }

  private static boolean startsWith(byte[] a, byte[] prefix) {
    return a.length >= prefix.length && Arrays.equals(Arrays.copyOf(a, prefix.length), prefix);
  }
}
