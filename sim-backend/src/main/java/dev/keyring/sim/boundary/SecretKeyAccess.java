package dev.keyring.sim.boundary;

/**
 * The capability that {@link SecretBytes#reveal(SecretKeyAccess)} asks for. Only this package can
 * name it, so plaintext key bytes can only be read here.
 */
final class SecretKeyAccess {
  static final SecretKeyAccess INSTANCE = new SecretKeyAccess();

  private SecretKeyAccess() {}
}
