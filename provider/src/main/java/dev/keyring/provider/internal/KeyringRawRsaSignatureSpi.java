package dev.keyring.provider.internal;

import dev.keyring.protocol.Mechanism;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.interfaces.RSAKey;

/**
 * RSA PKCS#1 v1.5 signatures made with raw CKM_RSA_PKCS on the member (type 1 padding over the
 * bytes given): {@code NONEwithRSA}, which signs a DigestInfo (or TLS 1.0/1.1's MD5 and SHA-1 hash)
 * the caller built, and the hashes the member has no hash-and-sign mechanism for, SHA-224 and
 * SHA-1, hashed here and wrapped in their DigestInfo. SHA-1 verifies existing signatures only
 * ({@link Sha1Policy}).
 *
 * <p>One nested class per algorithm passes the constants.
 */
public abstract class KeyringRawRsaSignatureSpi extends KeyringSignatureSpi {
  /** PKCS#1 type 1 padding takes 11 bytes of the modulus: 00 01, at least 8 FF, 00. */
  private static final int PADDING = 11;

  /** The DER DigestInfo before the hash value, or null for NONEwithRSA. */
  private final byte[] digestInfoPrefix;

  private final boolean sha1;

  KeyringRawRsaSignatureSpi(
      ProviderContext c, String algorithm, String digest, byte[] digestInfoPrefix) {
    super(c, algorithm, PrivateKeyHandle.Rsa.class, Mechanism.CKM_RSA_PKCS, digest, false, null);
    this.digestInfoPrefix = digestInfoPrefix;
    this.sha1 = "SHA-1".equals(digest);
  }

  @Override
  void checkSignKey(PrivateKeyHandle key) throws InvalidKeyException {
    if (sha1) {
      throw Sha1Policy.refuseSigning(algorithm(), "SHA256withRSA");
    }
  }

  @Override
  void checkGathered(int total) throws SignatureException {
    int max = modulusBytes() - PADDING;
    if (total > max) {
      throw new SignatureException(
          algorithm()
              + " signs at most "
              + max
              + " bytes with this "
              + modulusBytes() * 8
              + "-bit key (the modulus length less 11): a DigestInfo, not the message; got "
              + total
              + " bytes");
    }
  }

  @Override
  byte[] memberData(byte[] gathered) throws SignatureException {
    if (digestInfoPrefix == null) {
      return gathered;
    }
    byte[] out = new byte[digestInfoPrefix.length + gathered.length];
    System.arraycopy(digestInfoPrefix, 0, out, 0, digestInfoPrefix.length);
    System.arraycopy(gathered, 0, out, digestInfoPrefix.length, gathered.length);
    return out;
  }

  private int modulusBytes() throws SignatureException {
    PublicKey k = keyInUse();
    if (!(k instanceof RSAKey)) {
      throw new SignatureException(algorithm() + " needs an RSA key with its modulus");
    }
    return (((RSAKey) k).getModulus().bitLength() + 7) / 8;
  }

  private static byte[] hex(String s) {
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }

  // ---- one class per algorithm

  /** NONEwithRSA: the data (at most the modulus length less 11 bytes) is signed as given. */
  public static final class NoneWithRsa extends KeyringRawRsaSignatureSpi {
    public NoneWithRsa(ProviderContext c) {
      super(c, "NONEwithRSA", null, null);
    }
  }

  /** SHA224withRSA. */
  public static final class Sha224WithRsa extends KeyringRawRsaSignatureSpi {
    public Sha224WithRsa(ProviderContext c) {
      super(c, "SHA224withRSA", "SHA-224", hex("302d300d06096086480165030402040500041c"));
    }
  }

  /** SHA1withRSA: verification of existing signatures only. */
  public static final class Sha1WithRsa extends KeyringRawRsaSignatureSpi {
    public Sha1WithRsa(ProviderContext c) {
      super(c, "SHA1withRSA", "SHA-1", hex("3021300906052b0e03021a05000414"));
    }
  }
}
