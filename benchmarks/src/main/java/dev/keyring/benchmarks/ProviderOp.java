package dev.keyring.benchmarks;

import java.security.InvalidAlgorithmParameterException;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * The operations of {@link ProviderSignBenchmark}: what key each needs, which JCA algorithm runs
 * it, with which parameters, and which JDK provider serves it (for the {@code jdk} rows and for
 * checking the other rows' output).
 */
enum ProviderOp {
  /** {@code SHA256withRSA} (PKCS#1 v1.5) with an RSA-2048 key, 256-byte message. */
  RSA_2048_PKCS1("RSA-2048-PKCS1", "RSA", "SHA256withRSA", "SunRsaSign", 256),
  /** {@code RSASSA-PSS}, SHA-256, MGF1 with SHA-256, salt 32 bytes, RSA-2048 key, 256 bytes. */
  RSA_2048_PSS("RSA-2048-PSS", "RSA", "RSASSA-PSS", "SunRsaSign", 256),
  /** {@code SHA256withECDSA} with a P-256 (secp256r1) key, 256-byte message. */
  P_256_ECDSA("P-256-ECDSA", "EC", "SHA256withECDSA", "SunEC", 256),
  /** {@code SHA384withECDSA} with a P-384 (secp384r1) key, 256-byte message. */
  P_384_ECDSA("P-384-ECDSA", "EC", "SHA384withECDSA", "SunEC", 256),
  /** {@code Ed25519} (pure EdDSA), 256-byte message. */
  ED25519("Ed25519", "Ed25519", "Ed25519", "SunEC", 256),
  /** {@code AES/GCM/NoPadding} encryption of 1 KiB with an AES-256 key, 128-bit tag. */
  AES_GCM_1KIB("AES-GCM-1KiB", "AES", "AES/GCM/NoPadding", "SunJCE", 1024),
  /** {@code HmacSHA256} over 1 KiB with a 256-bit key. */
  HMAC_SHA256_1KIB("HMAC-SHA256-1KiB", "HmacSHA256", "HmacSHA256", "SunJCE", 1024);

  /** The PSS parameters of {@link #RSA_2048_PSS}. */
  static final PSSParameterSpec PSS_SHA256 =
      new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);

  /** RSA modulus size, AES key size, HMAC key size. */
  static final int RSA_BITS = 2048;

  static final int AES_BITS = 256;

  static final int HMAC_BITS = 256;

  /** The GCM tag length in bits. */
  static final int GCM_TAG_BITS = 128;

  /** The name used as the benchmark's {@code op} parameter. */
  final String label;

  /** {@code RSA}, {@code EC}, {@code Ed25519} or {@code AES}: the key (pair) generator's name. */
  final String keyAlgorithm;

  /** The {@code Signature} or {@code Cipher} transformation. */
  final String algorithm;

  /** The default JDK provider serving {@link #algorithm} and {@link #keyAlgorithm}. */
  final String jdkProvider;

  /** The message (or plaintext) length in bytes. */
  final int messageLength;

  ProviderOp(
      String label, String keyAlgorithm, String algorithm, String jdkProvider, int messageLength) {
    this.label = label;
    this.keyAlgorithm = keyAlgorithm;
    this.algorithm = algorithm;
    this.jdkProvider = jdkProvider;
    this.messageLength = messageLength;
  }

  /** {@code true} for the cipher operation. */
  boolean isCipher() {
    return this == AES_GCM_1KIB;
  }

  /** {@code true} for the MAC operation. */
  boolean isMac() {
    return this == HMAC_SHA256_1KIB;
  }

  /** {@code true} for the operations with a secret key (cipher, MAC), {@code false} for pairs. */
  boolean isSecret() {
    return isCipher() || isMac();
  }

  /** The JCA engine type: {@code Cipher}, {@code Mac} or {@code Signature}. */
  String engineType() {
    return isCipher() ? "Cipher" : isMac() ? "Mac" : "Signature";
  }

  /** The EC curve, as {@code ECGenParameterSpec} names it ({@code null} for other keys). */
  String ecCurve() {
    return this == P_256_ECDSA ? "secp256r1" : this == P_384_ECDSA ? "secp384r1" : null;
  }

  /** The key size for the secret-key generator. */
  int secretKeyBits() {
    return isMac() ? HMAC_BITS : AES_BITS;
  }

  /** The parameters to set on the {@code Signature} before {@code initSign}, or {@code null}. */
  AlgorithmParameterSpec signatureParameters() {
    return this == RSA_2048_PSS ? PSS_SHA256 : null;
  }

  /** Sets {@link #signatureParameters()} on {@code s}, if any. */
  void configure(java.security.Signature s) throws InvalidAlgorithmParameterException {
    AlgorithmParameterSpec spec = signatureParameters();
    if (spec != null) {
      s.setParameter(spec);
    }
  }

  /** The operation whose {@link #label} is {@code label}. */
  static ProviderOp of(String label) {
    for (ProviderOp op : values()) {
      if (op.label.equals(label)) {
        return op;
      }
    }
    throw new IllegalArgumentException("unknown op " + label);
  }

  @Override
  public String toString() {
    return label;
  }
}
