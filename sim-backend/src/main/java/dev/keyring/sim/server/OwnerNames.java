package dev.keyring.sim.server;

import java.math.BigInteger;
import java.security.cert.X509Certificate;

/**
 * The owner name of a client certificate: its serial number in hex, and the serial itself. The name
 * of the last certificate seen is kept, so that the requests of one connection (the crypto channel
 * holds one certificate object for all its frames) do not format the serial again for each; a
 * different certificate simply replaces it.
 */
final class OwnerNames {
  /** A certificate, its serial number and the owner name made of it. */
  record Known(X509Certificate cert, BigInteger serial, String name) {}

  private static volatile Known last;

  private OwnerNames() {}

  static Known of(X509Certificate leaf) {
    Known k = last;
    if (k != null && k.cert() == leaf) {
      return k;
    }
    BigInteger serial = leaf.getSerialNumber();
    k = new Known(leaf, serial, serial.toString(16));
    last = k;
    return k;
  }
}
