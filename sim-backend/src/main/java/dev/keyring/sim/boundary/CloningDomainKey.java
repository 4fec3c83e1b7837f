package dev.keyring.sim.boundary;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The cloning domain as the HSMs of one domain hold it: a 256-bit key derived from the domain
 * secret given at partition initialization (PBKDF2-HMAC-SHA256, {@value #ITERATIONS} iterations, a
 * fixed salt, so every HSM initialized with the same domain derives the same key). It enters every
 * transport key of a clone, so a clone opens only inside an HSM of the same domain: knowing the
 * domain's public fingerprint, or asking a member for a clone made for one's own key pair, gives
 * nothing. The key never leaves the boundary; the partition stores it wrapped under the device key.
 */
final class CloningDomainKey {
  /** Fixed for all HSMs: members with other settings must still derive the same key. */
  static final int ITERATIONS = 20_000;

  private static final byte[] SALT =
      "keyring cloning domain key v1".getBytes(StandardCharsets.US_ASCII);

  private CloningDomainKey() {}

  /** The 32-byte key of {@code domain}; the caller wipes it. */
  static byte[] derive(String domain) {
    byte[] secret = domain.getBytes(StandardCharsets.UTF_8);
    try {
      PKCS5S2ParametersGenerator g = new PKCS5S2ParametersGenerator(new SHA256Digest());
      g.init(secret, SALT, ITERATIONS);
      return ((KeyParameter) g.generateDerivedParameters(256)).getKey();
    } finally {
      java.util.Arrays.fill(secret, (byte) 0);
    }
  }
}
