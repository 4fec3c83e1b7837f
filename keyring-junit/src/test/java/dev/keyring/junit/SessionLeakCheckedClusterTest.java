package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.testing.leak.SessionLeakCheck;
import dev.keyring.testing.leak.SessionLeaks;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
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

  @Test
  void aKeyStoreTheTestLeavesOpen_onTheOneMemberInThisJvm_isReported() {
    String grace = System.getProperty(SessionLeaks.GRACE_PROPERTY);
    System.setProperty(SessionLeaks.GRACE_PROPERTY, "200"); // the leak is waited out in full
    try {
      ClassRun run = ClassRun.of(LeavesAKeyStoreOpen.class);
      assertEquals(1, run.passed.size(), run.report());
      assertEquals(1, run.failures.size(), run.report());
      assertTrue(
          run.failures.get(0).contains("1 crypto session(s) open on the member in this JVM"),
          run.report());
    } finally {
      if (grace == null) {
        System.clearProperty(SessionLeaks.GRACE_PROPERTY);
      } else {
        System.setProperty(SessionLeaks.GRACE_PROPERTY, grace);
      }
      LeavesAKeyStoreOpen.leaked.close();
    }
  }

  @Test
  void oneMemberInThisJvm_withNoLeak_passesTheCheck() {
    ClassRun run = ClassRun.of(CheckedInThisJvm.class);
    assertEquals(1, run.passed.size(), run.report());
    assertTrue(run.failures.isEmpty(), run.report());
  }

  @ExtendWith(SessionLeakCheck.class)
  @KeyringCluster(keyring = "leaky")
  static class LeavesAKeyStoreOpen {
    static KeyringProvider leaked;

    @Test
    void loadsAKeyStoreOfItsOwn(TestCluster cluster) throws Exception {
      leaked = new KeyringProvider(cluster.clientConfig());
      KeyStore ks = KeyStore.getInstance("Keyring", leaked);
      ks.load(
          new ByteArrayInputStream("slot=leaky\n".getBytes(StandardCharsets.UTF_8)),
          cluster.password().toCharArray());
      assertEquals(0, ks.size());
    }
  }

  @ExtendWith(SessionLeakCheck.class)
  @KeyringCluster(keyring = "checked")
  static class CheckedInThisJvm {
    @Test
    void signs(KeyStore ks) throws Exception {
      KeyPair pair = KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair();
      assertTrue(Signatures.verifies(pair, "checked", Signatures.sign(pair, "checked")));
    }
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
