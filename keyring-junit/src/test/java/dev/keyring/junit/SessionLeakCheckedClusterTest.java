package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.leak.SessionLeakCheck;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@code @KeyringCluster} class under the session-leak check of keyring-testing, registered
 * before the cluster as a module's autodetected extensions are: the sessions of the class's own
 * provider and KeyStore are closed before the check reads the members, so that only the test's own
 * leaks count.
 */
class SessionLeakCheckedClusterTest {

  @Test
  void sessionsOfTheClustersOwnKeyStore_doNotCountAsLeaked() {
    ClassRun run = ClassRun.of(Checked.class);
    assertEquals(1, run.passed.size(), run.report());
    assertTrue(run.failures.isEmpty(), run.report());
  }

  @ExtendWith(SessionLeakCheck.class)
  @KeyringCluster(members = 2, keyring = "checked")
  static class Checked {
    @Test
    void signs(KeyStore ks) throws Exception {
      KeyPair pair = KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair();
      assertTrue(Signatures.verifies(pair, "checked", Signatures.sign(pair, "checked")));
    }
  }
}
