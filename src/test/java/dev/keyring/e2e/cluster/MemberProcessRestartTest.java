package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SignatureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member in its own JVM, provisioned through its admin API (the cluster harness), killed with
 * SIGKILL and started again on its data directory: an application using the provider signs with the
 * same key handle afterwards, without a restart of its own.
 */
@Timeout(300)
class MemberProcessRestartTest {
  private static final String KEYRING_INITIAL = "keyring-initial-1";
  private static final String KEYRING_PW = "keyring-password-2";

  @Test
  void killedMember_restartedOnItsData_servesTheSameKeyToTheSameProvider(@TempDir Path dir)
      throws Exception {
    // HSM, partition, CO, cluster and one keyring (app100), as an operator does it
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      MemberProcess member = h.member(0);
      h.createKeyrings(0, "app", KEYRING_INITIAL, 1, 100);
      Path conf =
          h.registerClient(0, "process-client", dir.resolve("client").resolve("Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app100")) {
        KeyringSetup.initialize(s, KEYRING_INITIAL, KEYRING_PW);
      }

      KeyringProvider provider = new KeyringProvider(conf);
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", provider);
        ks.load(
            new ByteArrayInputStream("slot=app100\n".getBytes(StandardCharsets.UTF_8)),
            KEYRING_PW.toCharArray());
        KeyPair kp = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        assertTrue(Signing.signsAndVerifies(provider, kp));

        member.kill();
        assertFalse(member.isAlive());
        assertThrows(
            SignatureException.class,
            () -> Signing.signsAndVerifies(provider, kp),
            "no member, no signature");

        member.restart();
        assertTrue(
            Signing.signsAndVerifies(provider, kp),
            "the same handle signs once the member is back:\n" + member.output());
      } finally {
        provider.close();
      }
    }
  }
}
