package dev.keyring.provider.internal;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.provider.api.KeyringKey;
import dev.keyring.provider.api.ProviderOperation;
import java.io.ByteArrayOutputStream;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.Mac;
import javax.crypto.MacSpi;
import javax.crypto.SecretKey;

/**
 * HMAC computed on the cluster with a keyring generic secret. The message is gathered here.
 *
 * <p>A software key reaches this class only when the JDK fixed the provider before {@code
 * Mac.init}: {@code Mac.getMacLength()} on a {@code Mac.getInstance(alg)} object picks the first
 * provider without consulting {@code SupportedKeyClasses} (JSSE's TLS 1.3 HKDF does exactly that).
 * Such a key is handed to the JDK's own HMAC, as delayed selection would have done.
 */
public abstract class KeyringMacSpi extends MacSpi {
  private static final String JDK_PROVIDER = "SunJCE";
  private final Mechanism mechanism;
  private final String algorithm;
  private final int length;
  private final ByteArrayOutputStream data = new ByteArrayOutputStream();
  private SecretKeyHandle key;
  private Mac software;

  KeyringMacSpi(Mechanism mechanism, String algorithm) {
    this.mechanism = mechanism;
    this.algorithm = algorithm;
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
    if (k instanceof SecretKey && !(k instanceof KeyringKey)) {
      Mac jdk = jdkMac();
      jdk.init(k);
      software = jdk;
      key = null;
      data.reset();
      return;
    }
    SecretKeyHandle h = KeyHandles.require(k, SecretKeyHandle.class, "a keyring HMAC key");
    if (h.type() != KeyType.GENERIC_SECRET) {
      throw new InvalidKeyException("HMAC needs a generic secret (HMAC) key, got " + h);
    }
    key = h;
    software = null;
    data.reset();
  }

  private Mac jdkMac() throws InvalidKeyException {
    try {
      return Mac.getInstance(algorithm, JDK_PROVIDER);
    } catch (NoSuchAlgorithmException | NoSuchProviderException e) {
      throw new InvalidKeyException(
          "the Keyring provider computes "
              + algorithm
              + " with keyring keys only, and the JDK provider "
              + JDK_PROVIDER
              + " for software keys is missing",
          e);
    }
  }

  @Override
  protected void engineUpdate(byte input) {
    if (software != null) {
      software.update(input);
      return;
    }
    requireInit();
    data.write(input);
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int len) {
    if (software != null) {
      software.update(input, offset, len);
      return;
    }
    requireInit();
    data.write(input, offset, len);
  }

  @Override
  protected byte[] engineDoFinal() {
    if (software != null) {
      return software.doFinal();
    }
    requireInit();
    byte[] msg = data.toByteArray();
    data.reset();
    SecretKeyHandle k = key;
    try {
      return k.slot()
          .call(
              ProviderOperation.MAC,
              s -> s.sign(k.objectHandle(), mechanism, MechanismParams.NONE, msg));
    } catch (TransportException | RuntimeException e) {
      throw Errors.provider(k.slot(), mechanism + " with " + k, e);
    }
  }

  @Override
  protected void engineReset() {
    if (software != null) {
      software.reset();
    }
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
      super(Mechanism.CKM_SHA256_HMAC, "HmacSHA256");
    }
  }

  /** HmacSHA384. */
  public static final class HmacSha384 extends KeyringMacSpi {
    public HmacSha384(ProviderContext c) {
      super(Mechanism.CKM_SHA384_HMAC, "HmacSHA384");
    }
  }

  /** HmacSHA512. */
  public static final class HmacSha512 extends KeyringMacSpi {
    public HmacSha512(ProviderContext c) {
      super(Mechanism.CKM_SHA512_HMAC, "HmacSHA512");
    }
  }
}
