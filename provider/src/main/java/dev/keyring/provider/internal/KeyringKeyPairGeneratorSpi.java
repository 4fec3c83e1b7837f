package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import dev.keyring.provider.api.ProviderOperation;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;

/**
 * Key pairs generated on a keyring: the private key stays there (a handle is returned), the public
 * key is an ordinary JDK key. The keyring is the one named by a {@link KeyringKeyGenParameterSpec}
 * or, by default, the one most recently loaded as a KeyStore on this provider. Private keys sign
 * (RSA keys also decrypt and unwrap); an EC key generated for {@link Purpose#KEY_AGREEMENT} derives
 * instead of signing.
 */
public abstract class KeyringKeyPairGeneratorSpi extends KeyPairGeneratorSpi {
  private final ProviderContext ctx;
  private final String algorithm;
  private KeyGenParams params;
  private KeyringKeyGenParameterSpec spec;

  KeyringKeyPairGeneratorSpi(ProviderContext ctx, String algorithm, KeyGenParams defaults) {
    this.ctx = ctx;
    this.algorithm = algorithm;
    this.params = defaults;
  }

  @Override
  public void initialize(int keysize, SecureRandom random) {
    try {
      params = bySize(keysize);
    } catch (InvalidAlgorithmParameterException e) {
      throw new InvalidParameterException(e.getMessage());
    }
    spec = null;
  }

  @Override
  public void initialize(AlgorithmParameterSpec p, SecureRandom random)
      throws InvalidAlgorithmParameterException {
    if (p instanceof KeyringKeyGenParameterSpec) {
      KeyringKeyGenParameterSpec k = (KeyringKeyGenParameterSpec) p;
      if (k.purpose() == Purpose.KEY_WRAP
          || (k.purpose() == Purpose.KEY_AGREEMENT && !algorithm.equals("EC"))) {
        throw new InvalidAlgorithmParameterException(
            algorithm + " key pairs cannot be generated for " + k.purpose());
      }
      KeyGenParams next = params;
      if (k.curve().isPresent()) {
        next = byCurve(k.curve().get());
      } else if (k.keySize() != 0) {
        next = bySize(k.keySize());
      }
      params = next;
      spec = k;
      return;
    }
    spec = null;
    switch (algorithm) {
      case "RSA":
        if (p instanceof RSAKeyGenParameterSpec) {
          RSAKeyGenParameterSpec r = (RSAKeyGenParameterSpec) p;
          if (r.getPublicExponent() != null
              && !r.getPublicExponent().equals(RSAKeyGenParameterSpec.F4)) {
            throw new InvalidAlgorithmParameterException(
                "keyrings generate RSA keys with public exponent 65537 only, got "
                    + r.getPublicExponent());
          }
          params = bySize(r.getKeysize());
          return;
        }
        break;
      case "EC":
        if (p instanceof ECGenParameterSpec) {
          params = byCurve(((ECGenParameterSpec) p).getName());
          return;
        }
        if (p instanceof ECParameterSpec) {
          try {
            params = KeyGenParams.ec(PublicKeyAttributes.curveOf((ECParameterSpec) p));
          } catch (HsmException e) {
            throw new InvalidAlgorithmParameterException(e.getMessage(), e);
          }
          return;
        }
        break;
      default:
        if (p instanceof NamedParameterSpec
            && ((NamedParameterSpec) p).getName().equalsIgnoreCase("Ed25519")) {
          return;
        }
    }
    throw new InvalidAlgorithmParameterException(
        algorithm
            + " key generation does not take "
            + (p == null ? "null" : p.getClass().getName()));
  }

  private KeyGenParams bySize(int bits) throws InvalidAlgorithmParameterException {
    switch (algorithm) {
      case "RSA":
        if (bits != 2048 && bits != 3072 && bits != 4096) {
          throw new InvalidAlgorithmParameterException(
              "keyrings generate RSA keys of 2048, 3072 or 4096 bits, got " + bits);
        }
        return KeyGenParams.rsa(bits);
      case "EC":
        switch (bits) {
          case 256:
            return KeyGenParams.ec(Curve.P256);
          case 384:
            return KeyGenParams.ec(Curve.P384);
          case 521:
            return KeyGenParams.ec(Curve.P521);
          default:
            throw new InvalidAlgorithmParameterException(
                "keyrings generate EC keys on P-256, P-384 or P-521 (256, 384, 521), got " + bits);
        }
      default:
        if (bits != 255 && bits != 256) {
          throw new InvalidAlgorithmParameterException("Ed25519 keys have 255 bits, got " + bits);
        }
        return params;
    }
  }

  private KeyGenParams byCurve(String name) throws InvalidAlgorithmParameterException {
    if (!algorithm.equals("EC")) {
      throw new InvalidAlgorithmParameterException(algorithm + " keys take no curve");
    }
    try {
      Curve c = Curve.parse(name);
      if (c.isEdwards()) {
        throw new InvalidAlgorithmParameterException(
            "Ed25519 keys come from the Ed25519 generator");
      }
      return KeyGenParams.ec(c);
    } catch (HsmException | IllegalArgumentException e) {
      throw new InvalidAlgorithmParameterException(
          "keyrings generate EC keys on secp256r1, secp384r1 or secp521r1, got '" + name + "'");
    }
  }

  @Override
  public KeyPair generateKeyPair() {
    SlotSession slot =
        spec != null && spec.keyring().isPresent()
            ? ctx.loggedIn(spec.keyring().get())
            : ctx.activeSlot();
    Attributes.Builder common = Attributes.builder();
    if (spec != null) {
      spec.label().ifPresent(common::label);
      spec.id().ifPresent(common::id);
    }
    Attributes pub = common.build();
    boolean agreement = spec != null && spec.purpose() == Purpose.KEY_AGREEMENT;
    Attributes.Builder priv = pub.toBuilder().flag(AttributeType.CKA_SIGN, !agreement);
    if (algorithm.equals("RSA")) {
      priv.flag(AttributeType.CKA_DECRYPT, true).flag(AttributeType.CKA_UNWRAP, true);
    }
    Attributes privAttrs = priv.build();
    KeyGenParams p = params;
    try {
      KeyringKeyPair kp =
          slot.call(ProviderOperation.GENERATE, s -> s.generateKeyPair(p, pub, privAttrs));
      PrivateKeyHandle h = (PrivateKeyHandle) KeyHandles.of(slot, kp.privateKey(), null, 0);
      return new KeyPair(kp.publicKey().toPublicKey(), h);
    } catch (TransportException | RuntimeException e) {
      throw Errors.provider(slot, algorithm + " key pair generation (" + p + ")", e);
    }
  }

  /** RSA, 2048 bits by default. */
  public static final class Rsa extends KeyringKeyPairGeneratorSpi {
    public Rsa(ProviderContext c) {
      super(c, "RSA", KeyGenParams.rsa(2048));
    }
  }

  /** EC, P-256 by default. */
  public static final class Ec extends KeyringKeyPairGeneratorSpi {
    public Ec(ProviderContext c) {
      super(c, "EC", KeyGenParams.ec(Curve.P256));
    }
  }

  /** Ed25519. */
  public static final class Ed25519 extends KeyringKeyPairGeneratorSpi {
    public Ed25519(ProviderContext c) {
      super(c, "Ed25519", KeyGenParams.ec(Curve.ED25519));
    }
  }
}
