package dev.keyring.client.ha;

import java.util.List;

/**
 * What a recovery of an HA group's members that were down did ({@code hagroup recover}, {@link
 * HaGroupChannel#recover()}).
 *
 * @param recovered the serials of the members back in rotation
 * @param cloned how many objects were cloned onto them
 * @param conflicts one line per object a recovered member holds in another version than the
 *     reference member (the first member in file order that holds it): its id, label, the members
 *     and the attribute types that differ, never their values. Neither version was overwritten; the
 *     member passes that object over until the conflict is resolved.
 */
public record HaRecoveryReport(List<String> recovered, int cloned, List<String> conflicts) {
  /** Copies the lists. */
  public HaRecoveryReport {
    recovered = List.copyOf(recovered);
    conflicts = List.copyOf(conflicts);
  }
}
