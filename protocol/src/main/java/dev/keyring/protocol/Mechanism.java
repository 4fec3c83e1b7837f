package dev.keyring.protocol;

import java.util.Locale;

/** The mechanisms a keyring supports, with their PKCS#11 values. */
public enum Mechanism {
  CKM_RSA_PKCS_KEY_PAIR_GEN(0x0000, Use.GENERATE),
  CKM_RSA_PKCS(0x0001, Use.SIGN_DECRYPT_UNWRAP),
  CKM_RSA_PKCS_OAEP(0x0009, Use.ENCRYPT_DECRYPT_WRAP),
  CKM_SHA256_RSA_PKCS(0x0040, Use.SIGN),
  CKM_SHA384_RSA_PKCS(0x0041, Use.SIGN),
  CKM_SHA512_RSA_PKCS(0x0042, Use.SIGN),
  CKM_SHA256_RSA_PKCS_PSS(0x0043, Use.SIGN),
  CKM_SHA384_RSA_PKCS_PSS(0x0044, Use.SIGN),
  CKM_SHA512_RSA_PKCS_PSS(0x0045, Use.SIGN),
  CKM_GENERIC_SECRET_KEY_GEN(0x0350, Use.GENERATE),
  CKM_SHA256_HMAC(0x0251, Use.MAC),
  CKM_SHA384_HMAC(0x0261, Use.MAC),
  CKM_SHA512_HMAC(0x0271, Use.MAC),
  CKM_EC_KEY_PAIR_GEN(0x1040, Use.GENERATE),
  CKM_ECDSA(0x1041, Use.SIGN),
  CKM_ECDSA_SHA256(0x1044, Use.SIGN),
  CKM_ECDSA_SHA384(0x1045, Use.SIGN),
  CKM_ECDSA_SHA512(0x1046, Use.SIGN),
  CKM_EC_EDWARDS_KEY_PAIR_GEN(0x1055, Use.GENERATE),
  CKM_EDDSA(0x1057, Use.SIGN),
  CKM_ECDH1_DERIVE(0x1050, Use.DERIVE),
  CKM_AES_KEY_GEN(0x1080, Use.GENERATE),
  CKM_AES_CBC_PAD(0x1085, Use.ENCRYPT_DECRYPT),
  CKM_AES_GCM(0x1087, Use.ENCRYPT_DECRYPT),
  CKM_AES_KEY_WRAP(0x2109, Use.WRAP),
  CKM_AES_KEY_WRAP_KWP(0x210B, Use.WRAP);

  /** What a mechanism is for. */
  public enum Use {
    GENERATE,
    SIGN,
    MAC,
    ENCRYPT_DECRYPT,
    /** Encrypt, decrypt, wrap and unwrap (RSA-OAEP). */
    ENCRYPT_DECRYPT_WRAP,
    /**
     * Raw RSA PKCS#1 v1.5: signs the data as given with type 1 padding (a DigestInfo the caller
     * built, at most the modulus length less 11 bytes), verifies such signatures, decrypts and
     * unwraps; no new encryption under it.
     */
    SIGN_DECRYPT_UNWRAP,
    WRAP,
    DERIVE
  }

  private final long value;
  private final Use use;

  Mechanism(long value, Use use) {
    this.value = value;
    this.use = use;
  }

  public long value() {
    return value;
  }

  public Use use() {
    return use;
  }

  /** Whether the mechanism makes signatures: the SIGN ones and raw RSA PKCS#1 v1.5. */
  public boolean signs() {
    return use == Use.SIGN || use == Use.SIGN_DECRYPT_UNWRAP;
  }

  /** The digest a hash-and-sign or HMAC mechanism uses, or null for the others. */
  public Digest digest() {
    String n = name();
    if (n.contains("SHA256")) {
      return Digest.SHA256;
    } else if (n.contains("SHA384")) {
      return Digest.SHA384;
    } else if (n.contains("SHA512")) {
      return Digest.SHA512;
    }
    return null;
  }

  /** Every mechanism by its constant's name, the name each request built from one carries. */
  private static final java.util.Map<String, Mechanism> BY_NAME = byName();

  private static java.util.Map<String, Mechanism> byName() {
    java.util.Map<String, Mechanism> m = new java.util.HashMap<>();
    for (Mechanism x : values()) {
      m.put(x.name(), x);
    }
    return java.util.Map.copyOf(m);
  }

  /** Accepts {@code CKM_AES_GCM} or {@code AES_GCM}, in any case. */
  public static Mechanism parse(String name) {
    Mechanism exact = name == null ? null : BY_NAME.get(name);
    if (exact != null) {
      return exact; // the common case, without a copy of the name or of values()
    }
    String n = name == null ? "" : name.toUpperCase(Locale.ROOT);
    if (!n.startsWith("CKM_")) {
      n = "CKM_" + n;
    }
    for (Mechanism m : values()) {
      if (m.name().equals(n)) {
        return m;
      }
    }
    throw new HsmException(
        ResultCode.CKR_MECHANISM_INVALID, "mechanism is not one keyrings support");
  }
}
