package dev.keyring.e2e.cluster;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Role;

/** What the cluster tests do to a new keyring before an application uses it. */
final class KeyringSetup {
  private KeyringSetup() {}

  /**
   * As the keyring's SO: replaces the initial password with {@code password} and initializes the
   * crypto officer with the same password; logs out after.
   */
  static void initialize(KeyringChannel s, String initial, String password)
      throws TransportException {
    s.login(Role.KRSO, initial);
    s.changePassword(initial, password);
    s.initKrco(password);
    s.logout();
  }
}
