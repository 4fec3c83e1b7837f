package dev.keyring.provider.internal;

import dev.keyring.provider.api.KeyringKey;
import dev.keyring.provider.api.KeyringPrivateKey;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyFactorySpi;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.KeySpec;

/**
 * Public keys are ordinary JDK public keys: they are made and taken apart by the JDK's own key
 * factory. A keyring private key gives the specs of its public half ({@code X509EncodedKeySpec},
 * {@code RSAPublicKeySpec}, {@code ECPublicKeySpec}); its private value is never available, and
 * private keys are not made from specs (they enter a keyring with {@code KeyStore.setKeyEntry}).
 */
public abstract class KeyringKeyFactorySpi extends KeyFactorySpi {
  private final String algorithm;
  private final String jdkProvider;

  KeyringKeyFactorySpi(String algorithm, String jdkProvider) {
    this.algorithm = algorithm;
    this.jdkProvider = jdkProvider;
  }

  private KeyFactory jdk() throws InvalidKeySpecException {
    try {
      return KeyFactory.getInstance(algorithm, jdkProvider);
    } catch (NoSuchAlgorithmException | NoSuchProviderException e) {
      throw new InvalidKeySpecException(
          "the JDK provider " + jdkProvider + " for " + algorithm + " public keys is missing", e);
    }
  }

  @Override
  protected PublicKey engineGeneratePublic(KeySpec keySpec) throws InvalidKeySpecException {
    return jdk().generatePublic(keySpec);
  }

  @Override
  protected PrivateKey engineGeneratePrivate(KeySpec keySpec) throws InvalidKeySpecException {
    throw new InvalidKeySpecException(
        "keyring private keys are not made from key specs: import a private key with"
            + " KeyStore.setKeyEntry on a Keyring KeyStore, or generate one with the Keyring"
            + " KeyPairGenerator");
  }

  @Override
  protected <T extends KeySpec> T engineGetKeySpec(Key key, Class<T> keySpec)
      throws InvalidKeySpecException {
    if (key instanceof KeyringPrivateKey) {
      PublicKey pub = ((KeyringPrivateKey) key).publicKey();
      try {
        return jdk().getKeySpec(pub, keySpec);
      } catch (InvalidKeySpecException e) {
        throw new InvalidKeySpecException(
            "a keyring private key gives the specs of its public key only (X509EncodedKeySpec,"
                + " RSAPublicKeySpec, ECPublicKeySpec); "
                + keySpec.getSimpleName()
                + " is not one",
            e);
      }
    }
    if (key instanceof PublicKey) {
      return jdk().getKeySpec(key, keySpec);
    }
    throw new InvalidKeySpecException(
        "the Keyring key factory takes keyring keys and public keys, got "
            + (key == null ? "null" : key.getClass().getName()));
  }

  @Override
  protected Key engineTranslateKey(Key key) throws InvalidKeyException {
    if (key instanceof KeyringKey) {
      return key;
    }
    if (key instanceof PublicKey) {
      try {
        return jdk().translateKey(key);
      } catch (InvalidKeySpecException e) {
        throw new InvalidKeyException(e.getMessage(), e);
      }
    }
    throw new InvalidKeyException(
        "a software private key becomes a keyring key through KeyStore.setKeyEntry on a Keyring"
            + " KeyStore, not through the key factory");
  }

  /** RSA. */
  public static final class Rsa extends KeyringKeyFactorySpi {
    public Rsa(ProviderContext c) {
      super("RSA", "SunRsaSign");
    }
  }

  /** EC. */
  public static final class Ec extends KeyringKeyFactorySpi {
    public Ec(ProviderContext c) {
      super("EC", "SunEC");
    }
  }

  /** Ed25519. */
  public static final class Ed25519 extends KeyringKeyFactorySpi {
    public Ed25519(ProviderContext c) {
      super("Ed25519", "SunEC");
    }
  }
}
