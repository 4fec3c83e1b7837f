package dev.keyring.sim.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.TestAppliances;
import dev.keyring.testing.FakeTicker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten wrong HSM SO, partition PO or partition CO passwords in a row lock that role for 60 s; while
 * locked, the right password is refused too; each role counts on its own; a right password before
 * the tenth starts the count again. (Before: 60 wrong CO guesses in 5 s, then the right one
 * accepted.)
 */
class RoleLockoutTest {
  @TempDir Path dir;
  private final FakeTicker ticker = new FakeTicker();

  private Appliance prepared() {
    Appliance a =
        Appliance.open(
            ApplianceConfig.builder().dataDir(dir).kdfIterations(1_000).ticker(ticker).build());
    TestAppliances.prepare(a);
    return a;
  }

  private static ResultCode code(Runnable r) {
    return assertThrows(HsmException.class, r::run).code();
  }

  private void tenWrong(Consumer<String> check) {
    for (int i = 0; i < RoleLockout.THRESHOLD; i++) {
      String wrong = "wrong-password-" + i;
      assertEquals(ResultCode.CKR_PIN_INCORRECT, code(() -> check.accept(wrong)));
    }
  }

  @Test
  void co_lockedAfterTenWrong_evenTheRightOneRefused_untilSixtySecondsPass() {
    try (Appliance a = prepared()) {
      Hsm hsm = a.hsm();
      tenWrong(hsm::authenticateCo);

      assertEquals(ResultCode.CKR_PIN_LOCKED, code(() -> hsm.authenticateCo(TestAppliances.CO)));
      assertEquals(
          ResultCode.CKR_PIN_LOCKED,
          code(() -> hsm.changeCoPassword(TestAppliances.CO, "co-password-9")));
      ticker.advance(RoleLockout.DURATION.minus(Duration.ofSeconds(1)));
      assertEquals(ResultCode.CKR_PIN_LOCKED, code(() -> hsm.authenticateCo(TestAppliances.CO)));

      ticker.advance(Duration.ofSeconds(1));
      hsm.authenticateCo(TestAppliances.CO);
    }
  }

  @Test
  void so_andPo_lockOnTheirOwn_andTheCoStillWorks() {
    try (Appliance a = prepared()) {
      Hsm hsm = a.hsm();
      tenWrong(hsm::authenticateSo);
      assertEquals(ResultCode.CKR_PIN_LOCKED, code(() -> hsm.authenticateSo(TestAppliances.SO)));
      tenWrong(pw -> hsm.setPartitionPolicy(pw, Hsm.POLICY_PER_KEY_AUTH, 0));
      assertEquals(
          ResultCode.CKR_PIN_LOCKED,
          code(() -> hsm.setPartitionPolicy(TestAppliances.PO, Hsm.POLICY_PER_KEY_AUTH, 0)));

      hsm.authenticateCo(TestAppliances.CO);
    }
  }

  @Test
  void rightPasswordBeforeTheTenth_startsTheCountAgain() {
    try (Appliance a = prepared()) {
      Hsm hsm = a.hsm();
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < RoleLockout.THRESHOLD - 1; i++) {
          assertEquals(ResultCode.CKR_PIN_INCORRECT, code(() -> hsm.authenticateCo("wrong-1")));
        }
        hsm.authenticateCo(TestAppliances.CO);
      }
    }
  }
}
