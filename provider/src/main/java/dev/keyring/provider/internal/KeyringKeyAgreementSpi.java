package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.provider.api.ProviderOperation;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;

/**
 * ECDH with a keyring EC private key. The shared secret stays on the keyring: {@code
 * generateSecret("AES")} (or an HMAC name) derives it into a new keyring key and returns its
 * handle. {@code generateSecret()} as bytes is refused, since it would take the secret off the
 * keyring (see DIFFERENCES.md). The key must be one made for key agreement: a keyring EC key signs
 * or derives, not both.
 */
public final class KeyringKeyAgreementSpi extends KeyAgreementSpi {
  private PrivateKeyHandle.Ec key;
  private ECPublicKey peer;

  public KeyringKeyAgreementSpi(ProviderContext ctx) {}

  @Override
  protected void engineInit(Key k, SecureRandom random) throws InvalidKeyException {
    key = KeyHandles.require(k, PrivateKeyHandle.Ec.class, "a keyring EC private key");
    peer = null;
  }

  @Override
  protected void engineInit(Key k, AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (params != null) {
      throw new InvalidAlgorithmParameterException("ECDH takes no parameters");
    }
    engineInit(k, random);
  }

  @Override
  protected Key engineDoPhase(Key k, boolean lastPhase) throws InvalidKeyException {
    if (key == null) {
      throw new IllegalStateException("the key agreement is not initialized");
    }
    if (!lastPhase) {
      throw new IllegalStateException("ECDH has one phase: call doPhase(peerKey, true)");
    }
    if (!(k instanceof ECPublicKey)) {
      throw new InvalidKeyException(
          "ECDH needs the peer's EC public key, got " + (k == null ? "null" : k.getAlgorithm()));
    }
    ECPublicKey p = (ECPublicKey) k;
    if (!sameCurve(p.getParams(), key.getParams())) {
      throw new InvalidKeyException(
          "the peer's key is on another curve than "
              + key
              + " ("
              + key.curve()
              + "): its domain parameters (prime, coefficients, generator, order) differ");
    }
    if (!onCurve(p)) {
      throw new InvalidKeyException("the peer's public point is not on " + key.curve());
    }
    peer = p;
    return null;
  }

  /**
   * Whether two domain parameter sets name the same curve: field, coefficients, generator, order
   * and cofactor. Curves of the same size (P-384 and brainpoolP384r1) differ in all but the size.
   */
  static boolean sameCurve(
      java.security.spec.ECParameterSpec a, java.security.spec.ECParameterSpec b) {
    return a.getCurve().equals(b.getCurve())
        && a.getGenerator().equals(b.getGenerator())
        && a.getOrder().equals(b.getOrder())
        && a.getCofactor() == b.getCofactor();
  }

  /** Whether the point satisfies y^2 = x^3 + ax + b over the curve's prime field. */
  private static boolean onCurve(ECPublicKey k) {
    java.security.spec.ECPoint w = k.getW();
    java.security.spec.EllipticCurve c = k.getParams().getCurve();
    if (w == java.security.spec.ECPoint.POINT_INFINITY
        || !(c.getField() instanceof java.security.spec.ECFieldFp)) {
      return false;
    }
    java.math.BigInteger p = ((java.security.spec.ECFieldFp) c.getField()).getP();
    java.math.BigInteger x = w.getAffineX();
    java.math.BigInteger y = w.getAffineY();
    if (x.signum() < 0 || x.compareTo(p) >= 0 || y.signum() < 0 || y.compareTo(p) >= 0) {
      return false;
    }
    java.math.BigInteger left = y.multiply(y).mod(p);
    java.math.BigInteger right = x.pow(3).add(c.getA().multiply(x)).add(c.getB()).mod(p);
    return left.equals(right);
  }

  @Override
  protected byte[] engineGenerateSecret() {
    throw new IllegalStateException(
        "the ECDH secret of a keyring key stays on the keyring: call generateSecret(\"AES\") or"
            + " generateSecret(\"HmacSHA256\") to derive it into a keyring key");
  }

  @Override
  protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws ShortBufferException {
    engineGenerateSecret();
    return 0;
  }

  @Override
  protected SecretKey engineGenerateSecret(String algorithm)
      throws NoSuchAlgorithmException, InvalidKeyException {
    if (key == null || peer == null) {
      throw new IllegalStateException("call init(privateKey) and doPhase(peerKey, true) first");
    }
    Attributes template =
        Unwrapping.secretTemplate(algorithm)
            .merge(Attributes.builder().set(AttributeType.CKA_TOKEN, true).build());
    PrivateKeyHandle.Ec k = key;
    byte[] peerSpki = peer.getEncoded();
    peer = null;
    try {
      KeyringObject o =
          k.slot()
              .call(
                  ProviderOperation.DERIVE,
                  s ->
                      s.deriveKey(
                          k.objectHandle(),
                          Mechanism.CKM_ECDH1_DERIVE,
                          new MechanismParams.Ecdh(peerSpki),
                          template));
      return (SecretKey) KeyHandles.of(k.slot(), o, algorithm, k.curve().fieldBytes() * 8);
    } catch (TransportException | RuntimeException e) {
      if (Errors.isCode(e, ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED)) {
        throw Errors.withCause(
            new InvalidKeyException(
                k
                    + " is a signing key; ECDH takes an EC key generated for key agreement"
                    + " (KeyringKeyGenParameterSpec.Purpose.KEY_AGREEMENT); the keyring said "
                    + e.getMessage()),
            e);
      }
      // a refusal, or the cluster not reached: the key could not be derived (as SunPKCS11 says)
      throw Errors.withCause(
          new InvalidKeyException(Errors.message(k.slot(), "ECDH with " + k, e)), e);
    }
  }
}
