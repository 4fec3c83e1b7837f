package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.e2e.cluster.Signing;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.sim.server.Member;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider rides through a restart of the member's crypto service without an app restart. */
class ProviderRecoveryTest {
  private static final String PASSWORD = "recovery-password-1";

  @Test
  void sign_afterTheCryptoServiceRestarted_logsInAgainAndSigns(@TempDir Path dir) throws Exception {
    try (LocalCluster cluster = WatchedClusters.start(dir)) {
      cluster.createKeyring("recovery", PASSWORD);
      Member member = cluster.cluster().member(0);
      KeyringProvider p = new KeyringProvider(cluster.clientConfig());
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", p);
        ks.load(cluster.slotProperties("recovery"), PASSWORD.toCharArray());
        KeyPair kp = KeyPairGenerator.getInstance("EC", p).generateKeyPair();
        assertTrue(Signing.signsAndVerifies(p, kp));
        assertEquals(1, member.openSessions());

        // the service stops: connections close, every session is logged out
        member.stopCryptoApi();
        assertEquals(0, member.openSessions());
        member.startCryptoApi();

        assertTrue(Signing.signsAndVerifies(p, kp), "the same handle signs after the restart");
        assertEquals(1, member.openSessions(), "one new session replaced the lost one");
      } finally {
        p.close();
      }
      assertEquals(0, member.openSessions(), "close() logged out");
    }
  }
}
