package dev.keyring.provider.internal;

import dev.keyring.client.TransportException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.KeyringSecretKey;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.Provider;
import java.security.Security;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.Mac;
import javax.crypto.MacSpi;
import javax.crypto.SecretKey;

/**
 * HMAC computed on the cluster with a keyring generic secret. The message is gathered here.
 *
 * <p>A software key is passed on to the next provider that offers the algorithm. Key-based provider
 * selection never brings one here, but the JDK gives up on it when a method other than {@code init}
 * comes first: {@code Mac.getInstance("HmacSHA256").getMacLength()} binds the first provider's Mac,
 * whatever key follows. JSSE's HKDF does exactly that in every TLS 1.3 handshake, so with this
 * provider first in the list the handshake keys would otherwise fail.
 */
public abstract class KeyringMacSpi extends MacSpi {
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
    software = null;
    key = null;
    data.reset();
    if (k instanceof SecretKey && !(k instanceof KeyringSecretKey)) {
      software = softwareMac(k, params);
      return;
    }
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

  /** The next provider's Mac, initialized with the software key {@code k}. */
  private Mac softwareMac(Key k, AlgorithmParameterSpec params)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    GeneralSecurityException last = null;
    for (Provider p : Security.getProviders()) {
      if (p instanceof KeyringProvider || p.getService("Mac", algorithm) == null) {
        continue;
      }
      try {
        Mac m = Mac.getInstance(algorithm, p);
        m.init(k, params);
        return m;
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    InvalidKeyException e =
        new InvalidKeyException(
            "no other provider takes this software " + algorithm + " key; keyring keys only here");
    if (last != null) {
      e.initCause(last);
    }
    throw e;
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
              OperationCounters.Kind.MAC,
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
