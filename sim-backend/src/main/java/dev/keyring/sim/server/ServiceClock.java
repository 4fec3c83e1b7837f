package dev.keyring.sim.server;

import dev.keyring.sim.boundary.MemberPki;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;

/**
 * The administration guide's rule that the cluster service starts only with a synchronized clock: a
 * member whose clock (its ticker plus the configured {@code clockOffset}) lies outside the validity
 * of the cluster CA certificate cannot start the service, at boot or on a start action.
 * Certificates are back-dated a day and renewed before they expire, so only a clock that is really
 * wrong (simulated with {@code clockOffset}) meets this.
 */
final class ServiceClock {
  private ServiceClock() {}

  /** The member's clock as the cluster service sees it. */
  static Instant now(MemberConfig config) {
    return Instant.ofEpochMilli(
        config.ticker().currentTimeMillis() + config.clockOffset().toMillis());
  }

  /**
   * Why the service cannot start at {@code now}: the clock is outside the cluster CA certificate's
   * validity. Empty when it can, or when the member has no cluster CA yet.
   */
  static Optional<String> outsideValidity(MemberPki pki, Instant now) {
    if (!pki.hasClusterCa()) {
      return Optional.empty();
    }
    X509Certificate ca = pki.clusterCaCertificate();
    Instant from = ca.getNotBefore().toInstant();
    Instant to = ca.getNotAfter().toInstant();
    if (now.isBefore(from) || now.isAfter(to)) {
      return Optional.of(
          "this member's clock ("
              + now
              + ") is outside the validity of the cluster certificates ("
              + from
              + " to "
              + to
              + "): synchronize the clock (NTP) and start the cluster service again");
    }
    return Optional.empty();
  }
}
