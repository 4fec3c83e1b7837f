package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Two members as processes: a key made before a member is killed signs while it is down. */
@KeyringCluster(members = 2, keyring = "pair")
class ProcessClusterTest {

  @Test
  void keyMadeOnTheCluster_signsWhileAMemberIsDown(TestCluster cluster, KeyringProvider provider)
      throws Exception {
    assertEquals(2, cluster.members());
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Keyring");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    // acknowledged only once both members held it: the primary sees member 1 caught up
    String metrics = cluster.metrics(0);
    assertTrue(metrics.contains("keyring_cluster_primary 1\n"), metrics);
    assertTrue(
        Pattern.compile(
                "^keyring_cluster_replication_lag_entries\\{member=\"[^\"]+\"} 0$",
                Pattern.MULTILINE)
            .matcher(metrics)
            .find(),
        metrics);

    cluster.kill(1);
    for (int i = 0; i < 5; i++) {
      assertTrue(signsAndVerifies(pair, "message " + i), "signature " + i);
    }
    assertEquals(5, provider.operationCount(ProviderOperation.SIGN));
  }

  @Test
  void memberIndex_outOfRange_isRefused(TestCluster cluster) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> cluster.cut(0, 2));
    assertEquals("member index must be 0 to 1, got 2", e.getMessage());
  }

  private static boolean signsAndVerifies(KeyPair pair, String message) throws Exception {
    return Signatures.verifies(pair, message, Signatures.sign(pair, message));
  }
}
