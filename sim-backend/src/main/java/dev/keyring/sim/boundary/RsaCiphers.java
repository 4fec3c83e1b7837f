package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.Provider;
import java.security.Security;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The RSA ciphers that encryption, key wrapping and TLS premaster decryption share: RSA-OAEP
 * (CKM_RSA_PKCS_OAEP), which encrypts with the public part of a key and decrypts with its private
 * part, and RSA PKCS#1 v1.5 decryption (CKM_RSA_PKCS).
 */
final class RsaCiphers {
  private final CryptoEngines engines;

  RsaCiphers(CryptoEngines engines) {
    this.engines = engines;
  }

  /** The OAEP parameters; CKR_MECHANISM_PARAM_INVALID when {@code params} are not OAEP ones. */
  static MechanismParams.Oaep params(MechanismParams params) {
    if (!(params instanceof MechanismParams.Oaep)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "RSA-OAEP needs its hash, MGF1 hash and label");
    }
    return (MechanismParams.Oaep) params;
  }

  /** RSA-OAEP: encrypts ({@code Cipher.ENCRYPT_MODE}) or decrypts {@code data} with {@code k}. */
  byte[] oaep(int mode, LoadedKey k, MechanismParams params, byte[] data)
      throws GeneralSecurityException {
    MechanismParams.Oaep o = params(params);
    OAEPParameterSpec spec =
        new OAEPParameterSpec(
            o.hash().jcaName(),
            "MGF1",
            new MGF1ParameterSpec(o.mgfHash().jcaName()),
            new PSource.PSpecified(o.label()));
    Provider p = engines.provider(EngineFamily.RSA_OAEP);
    Cipher c;
    try {
      c = init(mode, k, spec, p);
    } catch (InvalidAlgorithmParameterException e) {
      // ACCP takes only some OAEP parameters (no label); the JDK's engine takes the rest
      if (CryptoEngines.engineName(p).equals("JDK")) {
        throw e;
      }
      c = init(mode, k, spec, Security.getProvider("SunJCE"));
    }
    return c.doFinal(data);
  }

  /** A CKM_RSA_PKCS cipher ready to decrypt with the private key {@code k}. */
  Cipher pkcs1Decryptor(LoadedKey k) throws GeneralSecurityException {
    Provider p = engines.provider(EngineFamily.RSA_PKCS1_DECRYPT);
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
    c.init(Cipher.DECRYPT_MODE, k.privateKey(p));
    return c;
  }

  private static Cipher init(int mode, LoadedKey k, OAEPParameterSpec spec, Provider p)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding", p);
    if (mode == Cipher.DECRYPT_MODE) {
      c.init(mode, k.privateKey(p), spec);
    } else {
      c.init(mode, k.publicKey(p), spec);
    }
    return c;
  }
}
