package dev.keyring.provider.internal;

import dev.keyring.client.TransportException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import java.io.ByteArrayOutputStream;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.MacSpi;

/** HMAC computed on the cluster with a keyring generic secret. The message is gathered here. */
public abstract class KeyringMacSpi extends MacSpi {
  private final Mechanism mechanism;
  private final int length;
  private final ByteArrayOutputStream data = new ByteArrayOutputStream();
  private SecretKeyHandle key;

  KeyringMacSpi(Mechanism mechanism) {
    this.mechanism = mechanism;
    this.length = mechanism.digest().length();
  }

  @Override
  protected int engineGetMacLength() {
    return length;
  }

  @Override
  protected void engineInit(Key k, AlgorithmParameterSpec params)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (params != null) {
      throw new InvalidAlgorithmParameterException("HMAC takes no parameters");
    }
    SecretKeyHandle h = KeyHandles.require(k, SecretKeyHandle.class, "a keyring HMAC key");
    if (h.type() != KeyType.GENERIC_SECRET) {
      throw new InvalidKeyException("HMAC needs a generic secret (HMAC) key, got " + h);
    }
    key = h;
    data.reset();
  }

  @Override
  protected void engineUpdate(byte input) {
    requireInit();
    data.write(input);
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int len) {
    requireInit();
    data.write(input, offset, len);
  }

  @Override
  protected byte[] engineDoFinal() {
    requireInit();
    byte[] msg = data.toByteArray();
    data.reset();
    SecretKeyHandle k = key;
    try {
      return k.slot()
          .call(
              OperationCounters.Kind.MAC,
              s -> s.sign(k.objectHandle(), mechanism, MechanismParams.NONE, msg));
    } catch (TransportException | RuntimeException e) {
      throw Errors.provider(k.slot(), mechanism + " with " + k, e);
    }
  }

  @Override
  protected void engineReset() {
    data.reset();
  }

  private void requireInit() {
    if (key == null) {
      throw new IllegalStateException("the Mac is not initialized");
    }
  }

  /** HmacSHA256. */
  public static final class HmacSha256 extends KeyringMacSpi {
    public HmacSha256(ProviderContext c) {
      super(Mechanism.CKM_SHA256_HMAC);
    }
  }

  /** HmacSHA384. */
  public static final class HmacSha384 extends KeyringMacSpi {
    public HmacSha384(ProviderContext c) {
      super(Mechanism.CKM_SHA384_HMAC);
    }
  }

  /** HmacSHA512. */
  public static final class HmacSha512 extends KeyringMacSpi {
    public HmacSha512(ProviderContext c) {
      super(Mechanism.CKM_SHA512_HMAC);
    }
  }
}
