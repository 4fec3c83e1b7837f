package dev.keyring.protocol;

import java.util.Objects;

/**
 * What to generate: an RSA modulus size, a curve, or a secret key length. (The attributes that
 * carry these in PKCS#11 are not keyring object attributes, so they travel beside the template.)
 */
public final class KeyGenParams {
  private final KeyType keyType;
  private final int bits;
  private final Curve curve;

  private KeyGenParams(KeyType keyType, int bits, Curve curve) {
    this.keyType = keyType;
    this.bits = bits;
    this.curve = curve;
  }

  /** RSA with a modulus of 2048, 3072 or 4096 bits (public exponent 65537). */
  public static KeyGenParams rsa(int modulusBits) {
    if (modulusBits != 2048 && modulusBits != 3072 && modulusBits != 4096) {
      throw new HsmException(
          ResultCode.CKR_KEY_SIZE_RANGE,
          "RSA modulus must be 2048, 3072 or 4096 bits, got " + modulusBits);
    }
    return new KeyGenParams(KeyType.RSA, modulusBits, null);
  }

  /** EC on P-256, P-384 or P-521, or Ed25519. */
  public static KeyGenParams ec(Curve curve) {
    Objects.requireNonNull(curve, "curve");
    return new KeyGenParams(curve.isEdwards() ? KeyType.EC_EDWARDS : KeyType.EC, 0, curve);
  }

  /** AES with a key of 128, 192 or 256 bits. */
  public static KeyGenParams aes(int keyBits) {
    if (keyBits != 128 && keyBits != 192 && keyBits != 256) {
      throw new HsmException(
          ResultCode.CKR_KEY_SIZE_RANGE, "AES key must be 128, 192 or 256 bits, got " + keyBits);
    }
    return new KeyGenParams(KeyType.AES, keyBits, null);
  }

  /** A generic secret (for HMAC) of 128 to 4096 bits, a multiple of 8. */
  public static KeyGenParams genericSecret(int keyBits) {
    if (keyBits < 128 || keyBits > 4096 || keyBits % 8 != 0) {
      throw new HsmException(
          ResultCode.CKR_KEY_SIZE_RANGE,
          "generic secret must be 128 to 4096 bits and a multiple of 8, got " + keyBits);
    }
    return new KeyGenParams(KeyType.GENERIC_SECRET, keyBits, null);
  }

  public KeyType keyType() {
    return keyType;
  }

  /** RSA modulus bits or secret key bits; 0 for curves. */
  public int bits() {
    return bits;
  }

  /** The curve, or null for RSA and secret keys. */
  public Curve curve() {
    return curve;
  }

  @Override
  public String toString() {
    return curve != null ? keyType + " " + curve : keyType + "-" + bits;
  }
}
