package dev.keyring.protocol;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/** The elliptic curves keyrings support, with the DER OID that CKA_ECDSA_PARAMS carries. */
public enum Curve {
  P256("secp256r1", "06082a8648ce3d030107", 32),
  P384("secp384r1", "06052b81040022", 48),
  P521("secp521r1", "06052b81040023", 66),
  ED25519("Ed25519", "06032b6570", 32);

  private final String jcaName;
  private final byte[] oidDer;
  private final int fieldBytes;

  Curve(String jcaName, String oidDerHex, int fieldBytes) {
    this.jcaName = jcaName;
    this.oidDer = HexFormat.of().parseHex(oidDerHex);
    this.fieldBytes = fieldBytes;
  }

  /** The name the JDK uses in {@code ECGenParameterSpec} (or {@code Ed25519}). */
  public String jcaName() {
    return jcaName;
  }

  /** The DER-encoded OID, as CKA_ECDSA_PARAMS holds it. */
  public byte[] oidDer() {
    return oidDer.clone();
  }

  /** Bytes of one field element (coordinate or shared secret). */
  public int fieldBytes() {
    return fieldBytes;
  }

  public boolean isEdwards() {
    return this == ED25519;
  }

  /** The curve whose DER OID is {@code der}. */
  public static Curve fromOidDer(byte[] der) {
    for (Curve c : values()) {
      if (Arrays.equals(c.oidDer, der)) {
        return c;
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
        "CKA_ECDSA_PARAMS names a curve keyrings do not support; use P-256, P-384, P-521 or Ed25519");
  }

  /** Parses {@code P-256}, {@code P256}, {@code secp256r1}, {@code prime256v1}, {@code Ed25519}. */
  public static Curve parse(String name) {
    String n = name.toLowerCase(Locale.ROOT).replace("-", "");
    switch (n) {
      case "p256":
      case "secp256r1":
      case "prime256v1":
        return P256;
      case "p384":
      case "secp384r1":
        return P384;
      case "p521":
      case "secp521r1":
        return P521;
      case "ed25519":
        return ED25519;
      default:
        throw new HsmException(
            ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
            "curve is not supported; use P-256, P-384, P-521 or Ed25519");
    }
  }
}
