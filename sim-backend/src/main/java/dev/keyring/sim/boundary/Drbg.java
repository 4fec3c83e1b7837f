package dev.keyring.sim.boundary;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/** The HSM's random bit generator: the JDK's DRBG, or its default SecureRandom without one. */
final class Drbg {
  private final SecureRandom random;

  private Drbg(SecureRandom random) {
    this.random = random;
  }

  static Drbg open() {
    try {
      return new Drbg(SecureRandom.getInstance("DRBG"));
    } catch (GeneralSecurityException e) {
      return new Drbg(new SecureRandom());
    }
  }

  /** {@code n} fresh random bytes. */
  byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** The generator itself, for engines and key generators that take a SecureRandom. */
  SecureRandom secureRandom() {
    return random;
  }
}
