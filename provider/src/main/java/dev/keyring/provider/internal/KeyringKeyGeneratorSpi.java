package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import dev.keyring.provider.api.ProviderOperation;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.KeyGeneratorSpi;
import javax.crypto.SecretKey;

/**
 * Secret keys generated on a keyring: AES (128/192/256) and HMAC keys (generic secrets). An AES key
 * encrypts, decrypts and unwraps by default; one generated for {@link Purpose#KEY_WRAP} wraps and
 * unwraps only.
 */
public abstract class KeyringKeyGeneratorSpi extends KeyGeneratorSpi {
  private final ProviderContext ctx;
  private final String algorithm;
  private final boolean aes;
  private int bits;
  private KeyringKeyGenParameterSpec spec;

  KeyringKeyGeneratorSpi(ProviderContext ctx, String algorithm, int defaultBits) {
    this.ctx = ctx;
    this.algorithm = algorithm;
    this.aes = algorithm.equals("AES");
    this.bits = defaultBits;
  }

  @Override
  protected void engineInit(SecureRandom random) {
    spec = null;
  }

  @Override
  protected void engineInit(int keysize, SecureRandom random) {
    try {
      bits = checkSize(keysize);
    } catch (InvalidAlgorithmParameterException e) {
      throw new InvalidParameterException(e.getMessage());
    }
    spec = null;
  }

  @Override
  protected void engineInit(AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidAlgorithmParameterException {
    if (!(params instanceof KeyringKeyGenParameterSpec)) {
      throw new InvalidAlgorithmParameterException(
          algorithm
              + " key generation takes a KeyringKeyGenParameterSpec or a key size, got "
              + (params == null ? "null" : params.getClass().getName()));
    }
    KeyringKeyGenParameterSpec k = (KeyringKeyGenParameterSpec) params;
    if (k.curve().isPresent()) {
      throw new InvalidAlgorithmParameterException(algorithm + " keys take no curve");
    }
    if (k.purpose() == Purpose.KEY_AGREEMENT || (k.purpose() == Purpose.KEY_WRAP && !aes)) {
      throw new InvalidAlgorithmParameterException(
          algorithm + " keys cannot be generated for " + k.purpose());
    }
    if (k.keySize() != 0) {
      bits = checkSize(k.keySize());
    }
    spec = k;
  }

  private int checkSize(int size) throws InvalidAlgorithmParameterException {
    if (aes) {
      if (size != 128 && size != 192 && size != 256) {
        throw new InvalidAlgorithmParameterException(
            "AES keys have 128, 192 or 256 bits, got " + size);
      }
    } else if (size < 128 || size > 4096 || size % 8 != 0) {
      throw new InvalidAlgorithmParameterException(
          "HMAC keys on a keyring have 128 to 4096 bits in steps of 8, got " + size);
    }
    return size;
  }

  @Override
  protected SecretKey engineGenerateKey() {
    SlotSession slot =
        spec != null && spec.keyring().isPresent()
            ? ctx.loggedIn(spec.keyring().get())
            : ctx.activeSlot();
    Attributes template;
    try {
      template =
          spec != null && spec.purpose() == Purpose.KEY_WRAP
              ? Unwrapping.keyWrapTemplate()
              : Unwrapping.secretTemplate(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    if (spec != null) {
      Attributes.Builder b = template.toBuilder();
      spec.label().ifPresent(b::label);
      spec.id().ifPresent(b::id);
      template = b.build();
    }
    KeyGenParams p = aes ? KeyGenParams.aes(bits) : KeyGenParams.genericSecret(bits);
    Attributes t = template;
    try {
      KeyringObject o = slot.call(ProviderOperation.GENERATE, s -> s.generateKey(p, t));
      return (SecretKey) KeyHandles.of(slot, o, algorithm, bits);
    } catch (TransportException | RuntimeException e) {
      throw Errors.provider(slot, algorithm + " key generation", e);
    }
  }

  /** AES, 256 bits by default. */
  public static final class Aes extends KeyringKeyGeneratorSpi {
    public Aes(ProviderContext c) {
      super(c, "AES", 256);
    }
  }

  /** HmacSHA256, 256 bits by default. */
  public static final class HmacSha256 extends KeyringKeyGeneratorSpi {
    public HmacSha256(ProviderContext c) {
      super(c, "HmacSHA256", 256);
    }
  }

  /** HmacSHA384, 384 bits by default. */
  public static final class HmacSha384 extends KeyringKeyGeneratorSpi {
    public HmacSha384(ProviderContext c) {
      super(c, "HmacSHA384", 384);
    }
  }

  /** HmacSHA512, 512 bits by default. */
  public static final class HmacSha512 extends KeyringKeyGeneratorSpi {
    public HmacSha512(ProviderContext c) {
      super(c, "HmacSHA512", 512);
    }
  }
}
