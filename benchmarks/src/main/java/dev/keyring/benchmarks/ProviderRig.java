package dev.keyring.benchmarks;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.KeyGenerator;

/**
 * One provider under test in {@link ProviderSignBenchmark}: it brings up whatever the provider
 * needs (a token, a cluster), generates the key of one {@link ProviderOp} inside the provider, and
 * names the {@link Provider} object the benchmark passes to {@code Signature.getInstance(alg,
 * provider)} / {@code Cipher.getInstance(alg, provider)}.
 *
 * <p>Adding a provider is one subclass plus its name in {@link #forName} and in the benchmark's
 * {@code provider} parameter list. A subclass usually logs in and then calls {@link
 * #generateKeys(ProviderOp, Provider)}, which generates through the standard JCA generators ({@code
 * KeyPairGenerator} {@code RSA}/{@code EC}/{@code Ed25519}, {@code KeyGenerator} {@code AES}/{@code
 * HmacSHA256}) of the given provider.
 *
 * <p>Lifecycle, per trial: {@link #unsupported} (may also be called, without {@code setUp}, by
 * {@link ProviderSignMain} to leave combinations out), {@link #setUp}, then {@link #provider},
 * {@link #signingKey} and {@link #verifyKey} from any thread, then {@link #tearDown}.
 */
abstract class ProviderRig {
  private ProviderOp op;
  private Key signingKey;
  private PublicKey verifyKey;

  /** The rig named by the benchmark's {@code provider} parameter. */
  static ProviderRig forName(String name) {
    switch (name) {
      case JdkRig.NAME:
        return new JdkRig();
      case SoftHsmRig.NAME:
        return new SoftHsmRig();
      case KeyringRig.NAME:
        return new KeyringRig();
      case KeyringRig.HTTP_NAME:
        return KeyringRig.http();
      case AccpRig.NAME:
        return new AccpRig();
      default:
        throw new IllegalArgumentException("unknown provider " + name);
    }
  }

  /** The value of the benchmark's {@code provider} parameter for this rig. */
  abstract String name();

  /**
   * Why this rig cannot run {@code op}, or {@code null} if it can. Must not need {@link #setUp}
   * (the launcher asks before any trial) and must have no side effects.
   */
  String unsupported(ProviderOp op) {
    return null;
  }

  /** Brings the provider up and generates the key (pair) of {@code op} in it. */
  abstract void setUp(ProviderOp op) throws Exception;

  /** The provider whose engines are measured for {@code op}. */
  abstract Provider provider(ProviderOp op);

  /** The private key (signatures) or secret key (cipher) of {@code op}, generated at setup. */
  Key signingKey(ProviderOp op) {
    requireOp(op);
    return signingKey;
  }

  /**
   * The public key of {@code op} as a JDK key object (so the JDK's own providers verify with it),
   * or {@code null} for the secret-key operations.
   */
  PublicKey verifyKey(ProviderOp op) {
    requireOp(op);
    return verifyKey;
  }

  /** Releases what {@link #setUp} brought up. */
  void tearDown() throws Exception {}

  /**
   * Generates the key (pair) of {@code op} with {@code keyProvider}'s generators and keeps it for
   * {@link #signingKey} / {@link #verifyKey}; the public key is re-encoded into a JDK key.
   */
  protected final void generateKeys(ProviderOp op, Provider keyProvider)
      throws GeneralSecurityException {
    this.op = op;
    if (op.isSecret()) {
      KeyGenerator g = KeyGenerator.getInstance(op.keyAlgorithm, keyProvider);
      g.init(op.secretKeyBits());
      signingKey = g.generateKey();
      verifyKey = null;
      return;
    }
    KeyPairGenerator g = KeyPairGenerator.getInstance(op.keyAlgorithm, keyProvider);
    switch (op.keyAlgorithm) {
      case "RSA":
        g.initialize(ProviderOp.RSA_BITS);
        break;
      case "EC":
        g.initialize(new ECGenParameterSpec(op.ecCurve()));
        break;
      default:
        // Ed25519: the algorithm name fixes the curve
        break;
    }
    KeyPair kp = g.generateKeyPair();
    signingKey = kp.getPrivate();
    verifyKey = jdkPublicKey(op, kp.getPublic());
  }

  /** {@code key} re-encoded (X.509 SubjectPublicKeyInfo) into a key of the JDK's provider. */
  static PublicKey jdkPublicKey(ProviderOp op, PublicKey key) throws GeneralSecurityException {
    byte[] encoded = key.getEncoded();
    if (encoded == null) {
      throw new GeneralSecurityException(
          "the public key " + key.getClass().getName() + " has no X.509 encoding");
    }
    return KeyFactory.getInstance(op.keyAlgorithm, Security.getProvider(op.jdkProvider))
        .generatePublic(new X509EncodedKeySpec(encoded));
  }

  private void requireOp(ProviderOp asked) {
    if (asked != op) {
      throw new IllegalStateException(
          name() + " was set up for " + op + ", not for " + asked + " (setUp missing?)");
    }
  }
}
