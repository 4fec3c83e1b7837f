package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.keyring.testing.cluster.MemberProcess;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Security;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A test that fails while it has a member paused (SIGSTOP) still has its cluster stopped cleanly:
 * the paused member is continued first, so that it takes the SIGTERM of the teardown (a stopped
 * process takes none until continued) and stops as an operator's stop would, rather than after the
 * teardown's wait for it, by SIGKILL.
 */
class PausedMemberTeardownTest {
  private static volatile MemberProcess paused;

  @Test
  void failingWhileAMemberIsPaused_stopsThatMemberCleanly() {
    ClassRun run = ClassRun.of(FailsWhilePaused.class);
    assertEquals(
        List.of("failsWhilePaused(TestCluster): java.lang.AssertionError: fails while paused"),
        run.failures,
        run.report());
    assertEquals(143, paused.exitValue(), "ended by the SIGTERM of the teardown, not by SIGKILL");
    assertNull(Security.getProvider("Keyring"));
  }

  @KeyringCluster(members = 2, keyring = "paused")
  static class FailsWhilePaused {
    @Test
    void failsWhilePaused(TestCluster cluster) throws Exception {
      KeyPair pair = KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair();
      Signatures.sign(pair, "before the pause");
      paused = cluster.process(1);
      cluster.pause(1);
      throw new AssertionError("fails while paused");
    }
  }
}
