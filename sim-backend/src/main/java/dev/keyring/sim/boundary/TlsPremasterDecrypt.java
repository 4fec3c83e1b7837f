package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;

/**
 * RSA PKCS#1 v1.5 decryption of a TLS RSA premaster secret with implicit rejection, as RFC 5246
 * section 7.4.7.1 asks, so that the answer never tells whether the padding was valid (no
 * Bleichenbacher oracle over the network). It always returns 48 bytes:
 *
 * <ol>
 *   <li>first, before decrypting, 48 random bytes R from the DRBG, with R[0..1] set to {@code
 *       clientVersion} (big-endian);
 *   <li>then the decryption with the engine CKM_RSA_PKCS decryption uses; any failure of it (bad
 *       padding, a value not below the modulus) counts as a plaintext of the wrong length;
 *   <li>the plaintext M is returned when it is 48 bytes long and its first two bytes are {@code
 *       clientVersion}, or, only when {@code clientVersion} is TLS 1.0 (0x0301) or older, when they
 *       are {@code serverVersion} (the JDK's allowance for old clients that put the negotiated
 *       version there); in every other case R is returned.
 * </ol>
 *
 * <p>This is the JDK 17 {@code KeyUtil.checkTlsPreMasterSecretKey} rule, with one difference: the
 * JDK's replacement is 48 random bytes, this one starts with {@code clientVersion} as RFC 5246
 * builds it. Either way the handshake then fails at the Finished messages, the same for every kind
 * of bad ciphertext.
 *
 * <p>The choice between M and R is made with masks over all 48 bytes, not with branches on M. What
 * stays data-dependent is inside the engine: whether it throws on bad padding. The only refusals
 * are about public facts: the key (checked by the caller) and a ciphertext whose length is not the
 * modulus length.
 */
final class TlsPremasterDecrypt {
  /** The length of a TLS premaster secret. */
  private static final int TLS_PREMASTER_LENGTH = 48;

  private final RsaCiphers rsa;
  private final Drbg drbg;

  TlsPremasterDecrypt(RsaCiphers rsa, Drbg drbg) {
    this.rsa = rsa;
    this.drbg = drbg;
  }

  /** The premaster secret of {@code data}, or the replacement: always 48 bytes. */
  byte[] decrypt(LoadedKey k, MechanismParams.TlsPremaster t, byte[] data) {
    byte[] modulus =
        k.record
            .attributes()
            .bytes(AttributeType.CKA_MODULUS)
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_DEVICE_ERROR, k.describe() + " has no CKA_MODULUS"));
    int modLen = (new BigInteger(1, modulus).bitLength() + 7) / 8;
    if (data.length != modLen) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
          "a CKM_RSA_PKCS ciphertext for this key is "
              + modLen
              + " bytes (the modulus length), got "
              + data.length);
    }
    int client = t.clientVersion();
    byte[] replacement = drbg.bytes(TLS_PREMASTER_LENGTH);
    replacement[0] = (byte) (client >>> 8);
    replacement[1] = (byte) client;

    Cipher c;
    try {
      c = rsa.pkcs1Decryptor(k);
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the RSA engine could not be set up for " + k.describe() + ": " + e.getMessage());
    }
    byte[] plain = new byte[modLen];
    int length;
    try {
      length = c.doFinal(data, 0, data.length, plain, 0);
    } catch (GeneralSecurityException | RuntimeException e) {
      length = -1;
    }
    try {
      int version = ((plain[0] & 0xff) << 8) | (plain[1] & 0xff);
      int versionOk = equalMask(version, client);
      if (client <= 0x0301) {
        versionOk |= equalMask(version, t.serverVersion());
      }
      byte keep = (byte) (equalMask(length, TLS_PREMASTER_LENGTH) & versionOk);
      byte[] out = new byte[TLS_PREMASTER_LENGTH];
      for (int i = 0; i < TLS_PREMASTER_LENGTH; i++) {
        out[i] = (byte) ((plain[i] & keep) | (replacement[i] & ~keep));
      }
      return out;
    } finally {
      Arrays.fill(plain, (byte) 0);
      Arrays.fill(replacement, (byte) 0);
    }
  }

  /** -1 (all bits set) when {@code a == b}, else 0, without a branch. */
  private static int equalMask(int a, int b) {
    int d = a ^ b;
    return ~((d | -d) >> 31);
  }
}
