package dev.keyring.sim.boundary;

/** The protected SMK of a {@link TestKeyring}, for tests in other packages that clone it. */
public final class SmkAccess {
  private SmkAccess() {}

  public static ProtectedSmk protectedSmk(TestKeyring t) {
    return t.smk;
  }
}
