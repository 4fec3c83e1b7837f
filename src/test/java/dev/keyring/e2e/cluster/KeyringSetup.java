package dev.keyring.e2e.cluster;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

  /**
   * Through the client file {@code conf} (cluster 0): initializes keyring {@code keyring} (see
   * {@link #initialize}) and generates {@code n} P-256 key pairs labelled {@code before-0}, {@code
   * before-1}, ... as its crypto officer.
   */
  static List<KeyringKeyPair> initializeWithKeys(
      Path conf, String keyring, String initial, String password, int n) throws Exception {
    List<KeyringKeyPair> keys = new ArrayList<>();
    try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
        KeyringChannel s = client.openSession(keyring)) {
      initialize(s, initial, password);
      s.login(Role.KRCO, password);
      for (int i = 0; i < n; i++) {
        keys.add(
            s.generateKeyPair(
                KeyGenParams.ec(Curve.P256),
                Attributes.builder().label("before-" + i).build(),
                Attributes.builder().label("before-" + i).build()));
      }
    }
    return keys;
  }
}
