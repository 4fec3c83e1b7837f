package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.io.NotSerializableException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.SecretKey;
import javax.security.auth.DestroyFailedException;
import javax.security.auth.Destroyable;

/**
 * One object made ready for use inside the boundary: its record and, for keys with a secret part,
 * the plaintext (PKCS#8 or raw bytes), with engine key objects parsed from it on first use per
 * engine. This is what the key cache holds, so a cache hit costs no unwrap and no parse.
 *
 * <p>An operation holds the key while it runs: it gets it from {@link KeyringObjects#use} and
 * closes it when done ({@code try (LoadedKey k = ...)}); closing ends that use only. Once the cache
 * has dropped the key ({@link #retire()}) no new use starts, and when the last use ends the key is
 * wiped: the plaintext is overwritten with zeros and every parsed engine key that can be destroyed
 * is. What cannot be wiped is described in {@link UnwrappedKeyCache}.
 */
final class LoadedKey implements AutoCloseable {
  final ObjectRecord record;
  final ObjectClass objectClass;
  final KeyType keyType;
  private final SecretBytes secret;
  private final ConcurrentHashMap<Object, Object> parsed = new ConcurrentHashMap<>();

  /** Twice the number of uses running, plus one once the cache has dropped the key. */
  private final AtomicInteger state = new AtomicInteger();

  private static final int RETIRED = 1;
  private static final int ONE_USE = 2;

  LoadedKey(ObjectRecord record, SecretBytes secret) {
    this.record = record;
    this.objectClass = record.objectClass();
    this.keyType = record.attributes().keyType().orElse(null);
    this.secret = secret;
  }

  /** Starts a use; false when the key was retired (it is wiped or about to be). */
  boolean tryUse() {
    while (true) {
      int s = state.get();
      if ((s & RETIRED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + ONE_USE)) {
        return true;
      }
    }
  }

  /** Ends one use started by {@link #tryUse()}; the last use of a retired key wipes it. */
  @Override
  public void close() {
    if (state.addAndGet(-ONE_USE) == RETIRED) {
      wipe();
    }
  }

  /** The cache dropped this key: no use starts any more; it is wiped once no use runs. */
  void retire() {
    if (state.getAndUpdate(s -> s | RETIRED) == 0) {
      wipe();
    }
  }

  /** Whether the plaintext was overwritten (the key was retired and its last use ended). */
  boolean isWiped() {
    return secret != null && secret.isDestroyed();
  }

  private void wipe() {
    if (secret != null) {
      secret.destroy();
    }
    for (Object key : parsed.values()) {
      if (key instanceof Destroyable && !((Destroyable) key).isDestroyed()) {
        try {
          ((Destroyable) key).destroy();
        } catch (DestroyFailedException e) {
          // this engine's key objects cannot be destroyed; they go with the garbage collector
        }
      }
    }
    parsed.clear();
  }

  /**
   * Where the key's value came from, as its blob records it (the blob was opened, or just sealed,
   * so the record is authentic); OUTSIDE for objects without a secret part.
   */
  KeyOrigin origin() {
    byte[] blob = record.blob();
    return blob == null ? KeyOrigin.OUTSIDE : SksBlob.origin(SksBlob.parseHeader(blob, describe()));
  }

  boolean hasSecret() {
    return secret != null;
  }

  int secretLength() {
    return secret == null ? 0 : secret.length();
  }

  /**
   * "object 7": what messages name it by. The handle only: a label may be long, and messages do not
   * repeat what callers chose.
   */
  String describe() {
    return "object " + record.handle();
  }

  /** The private key as an engine key object of provider {@code p}, parsed once per engine. */
  PrivateKey privateKey(Provider p) {
    if (objectClass != ObjectClass.PRIVATE_KEY || secret == null) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " is not a private key");
    }
    return (PrivateKey)
        parsed.computeIfAbsent(
            p,
            prov -> {
              byte[] der = secret.reveal(SecretKeyAccess.INSTANCE);
              try {
                return CryptoEngines.keyFactory(jcaKeyAlgorithm(keyType), (Provider) prov)
                    .generatePrivate(new PKCS8EncodedKeySpec(der));
              } catch (GeneralSecurityException e) {
                throw new HsmException(
                    ResultCode.CKR_DEVICE_ERROR,
                    "the engine could not load " + describe() + ": " + e.getMessage());
              } finally {
                Arrays.fill(der, (byte) 0);
              }
            });
  }

  /** The secret key for JCA algorithm {@code alg}; destroyed when this key is wiped. */
  SecretKey secretKey(String alg) {
    if (objectClass != ObjectClass.SECRET_KEY || secret == null) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " is not a secret key");
    }
    return (SecretKey)
        parsed.computeIfAbsent(
            "secret:" + alg, a -> new RawSecretKey(secret.reveal(SecretKeyAccess.INSTANCE), alg));
  }

  /** The secret part itself, for wrapping and derivation inside this package. */
  SecretBytes secret() {
    return secret;
  }

  /**
   * The public key of a public-key object, or the public part of a private key (from its public
   * attributes), as an engine key of provider {@code p}.
   */
  PublicKey publicKey(Provider p) {
    if (objectClass != ObjectClass.PUBLIC_KEY && objectClass != ObjectClass.PRIVATE_KEY) {
      throw new HsmException(
          ResultCode.CKR_KEY_TYPE_INCONSISTENT, describe() + " has no public key");
    }
    return (PublicKey)
        parsed.computeIfAbsent(
            "public:" + p.getName(),
            k -> {
              try {
                byte[] spki = PublicKeyAttributes.toSpki(record.attributes());
                return CryptoEngines.keyFactory(jcaKeyAlgorithm(keyType), p)
                    .generatePublic(new X509EncodedKeySpec(spki));
              } catch (GeneralSecurityException e) {
                throw new HsmException(
                    ResultCode.CKR_DEVICE_ERROR,
                    "the engine could not load the public key of "
                        + describe()
                        + ": "
                        + e.getMessage());
              }
            });
  }

  /** Refuses with CKR_KEY_FUNCTION_NOT_PERMITTED unless the object has {@code flag} set. */
  void requireFlag(AttributeType flag, String what) {
    if (!record.attributes().flag(flag, false)) {
      throw new HsmException(
          ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
          describe() + " may not " + what + ": " + flag + " is not set");
    }
  }

  /** Refuses with CKR_KEY_TYPE_INCONSISTENT unless the object is a {@code t} {@code c}. */
  void requireType(ObjectClass c, KeyType t, Mechanism m) {
    if (objectClass != c || keyType != t) {
      throw typeMismatch(m);
    }
  }

  HsmException typeMismatch(Mechanism m) {
    return new HsmException(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        describe() + " is a " + keyType + " " + objectClass + " and cannot be used with " + m);
  }

  static String jcaKeyAlgorithm(KeyType type) {
    switch (type) {
      case RSA:
        return "RSA";
      case EC:
        return "EC";
      case EC_EDWARDS:
        return "Ed25519";
      case AES:
        return "AES";
      default:
        return "GenericSecret";
    }
  }

  @Override
  public String toString() {
    return "LoadedKey[" + describe() + " " + objectClass + " " + keyType + "]";
  }

  /**
   * A raw secret key that, unlike {@code SecretKeySpec}, can be destroyed: its bytes are zeroed.
   * Engines read it through {@link #getEncoded()} (a copy) when a cipher or MAC is initialized.
   */
  private static final class RawSecretKey implements SecretKey {
    private static final long serialVersionUID = 1L;

    private final byte[] key;
    private final String algorithm;
    private volatile boolean destroyed;

    RawSecretKey(byte[] key, String algorithm) {
      this.key = key;
      this.algorithm = algorithm;
    }

    @Override
    public String getAlgorithm() {
      return algorithm;
    }

    @Override
    public String getFormat() {
      return "RAW";
    }

    @Override
    public byte[] getEncoded() {
      if (destroyed) {
        throw new IllegalStateException("the key was destroyed");
      }
      return key.clone();
    }

    @Override
    public void destroy() {
      Arrays.fill(key, (byte) 0);
      destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
      return destroyed;
    }

    private void writeObject(java.io.ObjectOutputStream out) throws NotSerializableException {
      throw new NotSerializableException("secret keys stay inside the boundary");
    }

    @Override
    public String toString() {
      return "RawSecretKey[" + algorithm + ", " + key.length + " bytes]";
    }
  }
}
