package dev.keyring.sim.cluster;

import java.util.function.BooleanSupplier;

/**
 * Where a member's own authorization comes from: its cluster service's record of the {@code
 * authorize} action (or of its join), and whether it lost it when it started after a crash. A
 * member that lost it takes it again from another member that is authorized and active (the
 * administration guide's rejoining members); alone, it waits for the operator.
 */
public interface MemberAuthorization {
  /** Whether the member's record says it is authorized. */
  boolean granted();

  /** Whether the member lost its authorization in a crash and may take it from another member. */
  boolean lost();

  /**
   * Records that the member took the authorization of the authorized, active member {@code from}
   * (its name).
   */
  void takeFrom(String from);

  /** A record that says {@code granted}, and never loses it. */
  static MemberAuthorization of(BooleanSupplier granted) {
    return new MemberAuthorization() {
      @Override
      public boolean granted() {
        return granted.getAsBoolean();
      }

      @Override
      public boolean lost() {
        return false;
      }

      @Override
      public void takeFrom(String from) {
        throw new IllegalStateException("this authorization is never lost");
      }
    };
  }
}
