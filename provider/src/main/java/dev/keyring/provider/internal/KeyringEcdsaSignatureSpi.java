package dev.keyring.provider.internal;

import dev.keyring.protocol.Mechanism;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.interfaces.ECKey;

/**
 * The ECDSA names beyond SHA-256/384/512 with DER signatures: SHA-224 and SHA-1 (hashed here, the
 * digest signed on the member with CKM_ECDSA), and every hash in IEEE P1363 format ({@code r ||
 * s}), converted here from and to the DER the member speaks. SHA-1 verifies existing signatures
 * only: a keyring key does not sign with it ({@link Sha1Policy}).
 *
 * <p>One nested class per algorithm passes the constants.
 */
public abstract class KeyringEcdsaSignatureSpi extends KeyringSignatureSpi {
  private final boolean p1363;
  private final boolean sha1;

  KeyringEcdsaSignatureSpi(ProviderContext c, String algorithm, String digest, boolean p1363) {
    super(c, algorithm, PrivateKeyHandle.Ec.class, Mechanism.CKM_ECDSA, digest, false, null);
    this.p1363 = p1363;
    this.sha1 = "SHA-1".equals(digest);
  }

  @Override
  void checkSignKey(PrivateKeyHandle key) throws InvalidKeyException {
    if (sha1) {
      throw Sha1Policy.refuseSigning(algorithm(), "SHA256withECDSA");
    }
  }

  @Override
  byte[] fromMemberSignature(byte[] der) throws SignatureException {
    return p1363 ? EcdsaP1363.fromDer(der, orderBytes()) : der;
  }

  @Override
  byte[] toMemberSignature(byte[] signature) throws SignatureException {
    return p1363 ? EcdsaP1363.toDer(signature, orderBytes()) : signature;
  }

  /** The byte length of the curve's order: the length of r and of s in P1363 format. */
  private int orderBytes() throws SignatureException {
    PublicKey k = keyInUse();
    if (!(k instanceof ECKey)) {
      throw new SignatureException(algorithm() + " needs an EC key with its domain parameters");
    }
    return (((ECKey) k).getParams().getOrder().bitLength() + 7) / 8;
  }

  // ---- one class per algorithm

  /** SHA224withECDSA. */
  public static final class Sha224WithEcdsa extends KeyringEcdsaSignatureSpi {
    public Sha224WithEcdsa(ProviderContext c) {
      super(c, "SHA224withECDSA", "SHA-224", false);
    }
  }

  /** SHA1withECDSA: verification of existing signatures only. */
  public static final class Sha1WithEcdsa extends KeyringEcdsaSignatureSpi {
    public Sha1WithEcdsa(ProviderContext c) {
      super(c, "SHA1withECDSA", "SHA-1", false);
    }
  }

  /** NONEwithECDSAinP1363Format: the data is the digest; the signature is r || s. */
  public static final class NoneWithEcdsaP1363 extends KeyringEcdsaSignatureSpi {
    public NoneWithEcdsaP1363(ProviderContext c) {
      super(c, "NONEwithECDSAinP1363Format", null, true);
    }
  }

  /** SHA1withECDSAinP1363Format: verification of existing signatures only. */
  public static final class Sha1WithEcdsaP1363 extends KeyringEcdsaSignatureSpi {
    public Sha1WithEcdsaP1363(ProviderContext c) {
      super(c, "SHA1withECDSAinP1363Format", "SHA-1", true);
    }
  }

  /** SHA224withECDSAinP1363Format. */
  public static final class Sha224WithEcdsaP1363 extends KeyringEcdsaSignatureSpi {
    public Sha224WithEcdsaP1363(ProviderContext c) {
      super(c, "SHA224withECDSAinP1363Format", "SHA-224", true);
    }
  }

  /** SHA256withECDSAinP1363Format. */
  public static final class Sha256WithEcdsaP1363 extends KeyringEcdsaSignatureSpi {
    public Sha256WithEcdsaP1363(ProviderContext c) {
      super(c, "SHA256withECDSAinP1363Format", "SHA-256", true);
    }
  }

  /** SHA384withECDSAinP1363Format. */
  public static final class Sha384WithEcdsaP1363 extends KeyringEcdsaSignatureSpi {
    public Sha384WithEcdsaP1363(ProviderContext c) {
      super(c, "SHA384withECDSAinP1363Format", "SHA-384", true);
    }
  }

  /** SHA512withECDSAinP1363Format. */
  public static final class Sha512WithEcdsaP1363 extends KeyringEcdsaSignatureSpi {
    public Sha512WithEcdsaP1363(ProviderContext c) {
      super(c, "SHA512withECDSAinP1363Format", "SHA-512", true);
    }
  }
}
