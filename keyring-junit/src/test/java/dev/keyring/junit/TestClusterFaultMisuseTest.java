package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.function.Executable;

/**
 * Faults asked of a member in no state to take them (a member killed already, a running member
 * restarted, a link from a member to itself) are refused with a message that names the call, the
 * member and what to do, and change nothing.
 */
@KeyringCluster(members = 2, keyring = "misuse")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TestClusterFaultMisuseTest {

  @Test
  @Order(1)
  void runningMember_isNotRestarted_andNoMemberIsCutFromItself(TestCluster cluster) {
    assertRefused(
        IllegalStateException.class,
        () -> cluster.restart(1),
        "restart(1): member 1 is running; restart starts a member again after kill(1)");
    assertRefused(
        IllegalArgumentException.class,
        () -> cluster.cut(1, 1),
        "cut(a, b) cuts the links between two members, got member 1 twice");
  }

  @Test
  @Order(2)
  void killedMember_refusesEveryCallButRestart(TestCluster cluster) throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair();
    cluster.kill(1);
    String notRunning = "member 1 is not running (killed): restart(1) first";
    assertRefused(IllegalStateException.class, () -> cluster.kill(1), "kill(1): " + notRunning);
    assertRefused(IllegalStateException.class, () -> cluster.pause(1), "pause(1): " + notRunning);
    assertRefused(IllegalStateException.class, () -> cluster.resume(1), "resume(1): " + notRunning);
    assertRefused(
        IllegalStateException.class, () -> cluster.authorize(1), "authorize(1): " + notRunning);
    assertRefused(
        IllegalStateException.class, () -> cluster.authorized(1), "authorized(1): " + notRunning);
    assertRefused(
        IllegalStateException.class, () -> cluster.metrics(1), "metrics(1): " + notRunning);

    cluster.restart(1);
    assertTrue(cluster.metrics(1).contains("keyring_cluster_primary"));
    assertTrue(Signatures.verifies(pair, "after", Signatures.sign(pair, "after")));
  }

  private static void assertRefused(
      Class<? extends Throwable> type, Executable call, String message) {
    Throwable e = assertThrows(type, call);
    assertEquals(message, e.getMessage());
  }
}
