package dev.keyring.sim.server;

import java.math.BigInteger;
import java.security.cert.X509Certificate;

/**
 * The owner name of a client certificate: its serial number in hex, and the serial itself. Names
 * are kept for the certificate objects seen last, {@link #SLOTS} of them, each in the slot its
 * identity hash picks: the requests of one connection (the crypto channel holds one certificate
 * object for all its frames) do not format the serial again for each, and neither do those of a
 * client's several connections, whose certificate objects differ (one per handshake). A certificate
 * whose slot holds another replaces it; a name is only ever made again, never wrong, since a slot
 * matches by the certificate object itself.
 */
final class OwnerNames {
  /** A certificate, its serial number and the owner name made of it. */
  record Known(X509Certificate cert, BigInteger serial, String name) {}

  /** How many certificate objects are remembered at most: a power of two. */
  static final int SLOTS = 64;

  /**
   * The remembered names. Read and written without a lock: a {@link Known} has final fields only,
   * so a thread that sees one sees it whole, and a slot read stale only costs a name made again.
   */
  private static final Known[] KNOWN = new Known[SLOTS];

  private OwnerNames() {}

  static Known of(X509Certificate leaf) {
    int slot = System.identityHashCode(leaf) & (SLOTS - 1);
    Known k = KNOWN[slot];
    if (k != null && k.cert() == leaf) {
      return k;
    }
    BigInteger serial = leaf.getSerialNumber();
    k = new Known(leaf, serial, serial.toString(16));
    KNOWN[slot] = k;
    return k;
  }
}
