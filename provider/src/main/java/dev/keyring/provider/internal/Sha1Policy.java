package dev.keyring.provider.internal;

import java.security.InvalidKeyException;

/**
 * SHA-1 signatures verify, they are not made: chosen-prefix collisions on SHA-1 are practical
 * (SHAttered 2017, "SHA-1 is a Shambles" 2020), so a signature made with it today can be moved onto
 * another document. The SHA-1 names exist so that old signatures (certificates, signed archives)
 * can still be checked; {@code initSign} with a keyring key refuses them, as JSSE expects of a
 * signature scheme it may not use (it moves on to the next one).
 */
final class Sha1Policy {
  private Sha1Policy() {}

  static InvalidKeyException refuseSigning(String algorithm, String instead) {
    return new InvalidKeyException(
        algorithm
            + " only verifies existing signatures: keyring keys do not sign with SHA-1, whose"
            + " collisions are practical; sign with "
            + instead);
  }
}
