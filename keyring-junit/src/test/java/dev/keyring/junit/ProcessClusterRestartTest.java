package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.ProviderException;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Two members as processes, both killed and started again: the first back signs with the keys it
 * holds but makes no new key until the test authorizes it, as an operator would; the other takes
 * its authorization from it.
 */
@KeyringCluster(members = 2, keyring = "restarted")
class ProcessClusterRestartTest {

  @Test
  void everyMemberKilled_theFirstBackIsAuthorizedByTheTest_theOtherFollows(TestCluster cluster)
      throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Keyring");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair before = g.generateKeyPair();

    cluster.kill(1);
    cluster.kill(0);
    cluster.restart(0);
    assertFalse(cluster.authorized(0), "the first member back after every member failed");
    assertTrue(signsAndVerifies(before, "signed by the unauthorized member"));
    cluster.restart(1);
    assertFalse(cluster.authorized(1), "no authorized member to take it from");
    String refused = refusal(g);
    assertTrue(refused.contains("not authorized"), refused);

    cluster.authorize(0);
    awaitAuthorized(cluster, 1);
    KeyPair after = g.generateKeyPair();
    assertTrue(signsAndVerifies(after, "a key made after the authorization"));
    assertTrue(signsAndVerifies(before, "and the key from before the kills"));
  }

  /**
   * The refusal of a key generation, once the two members see each other (before that, a member
   * alone of two is read-only, and the refusal says that no member accepts writes).
   */
  private static String refusal(KeyPairGenerator g) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      ProviderException e = assertThrows(ProviderException.class, g::generateKeyPair);
      String m = String.valueOf(e.getMessage());
      if (!m.contains("accepts writes") || System.nanoTime() > deadline) {
        return m;
      }
      Thread.sleep(100);
    }
  }

  private static void awaitAuthorized(TestCluster cluster, int i) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!cluster.authorized(i)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("member " + i + " did not take its authorization from member 0");
      }
      Thread.sleep(100);
    }
  }

  private static boolean signsAndVerifies(KeyPair pair, String message) throws Exception {
    return Signatures.verifies(pair, message, Signatures.sign(pair, message));
  }
}
