package dev.keyring.sim.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.TestAppliances;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HsmTest {
  @TempDir Path dir;

  private static void assertCode(ResultCode code, Runnable r) {
    HsmException e = assertThrows(HsmException.class, r::run);
    assertEquals(code, e.code(), e.getMessage());
  }

  @Test
  void secondV1Partition_isRefused() {
    try (Appliance a = TestAppliances.fresh(dir)) {
      a.hsm().initialize("hsm1", TestAppliances.SO);
      a.hsm().createPartition(TestAppliances.SO, "p1", "V1");
      assertCode(
          ResultCode.CKR_FUNCTION_FAILED,
          () -> a.hsm().createPartition(TestAppliances.SO, "p2", "V1"));
      assertCode(
          ResultCode.CKR_ARGUMENTS_BAD,
          () -> a.hsm().createPartition(TestAppliances.SO, "p3", "V0"));
    }
  }

  @Test
  void co_withPolicy21On_mustChangeInitialPassword_beforeAdminActions() {
    try (Appliance a = TestAppliances.fresh(dir)) {
      Hsm hsm = a.hsm();
      hsm.initialize("hsm1", TestAppliances.SO);
      assertEquals(1, hsm.policy(Hsm.POLICY_FORCE_PIN_CHANGE));
      hsm.createPartition(TestAppliances.SO, "par", "V1");
      hsm.initializePartition(TestAppliances.SO, TestAppliances.PO, TestAppliances.DOMAIN);
      hsm.setPartitionPolicy(TestAppliances.PO, Hsm.POLICY_PER_KEY_AUTH, 0);
      hsm.initCo(TestAppliances.PO, TestAppliances.CO_INITIAL);
      assertTrue(hsm.partition().orElseThrow().coMustChangePassword());
      assertCode(ResultCode.CKR_PIN_EXPIRED, () -> hsm.authenticateCo(TestAppliances.CO_INITIAL));
      assertCode(ResultCode.CKR_PIN_EXPIRED, hsm::requireReadyForCluster);
      hsm.changeCoPassword(TestAppliances.CO_INITIAL, TestAppliances.CO);
      hsm.authenticateCo(TestAppliances.CO);
      hsm.requireReadyForCluster();
    }
  }

  @Test
  void co_withPolicy21Off_needsNoChange() {
    try (Appliance a = TestAppliances.fresh(dir)) {
      Hsm hsm = a.hsm();
      hsm.initialize("hsm1", TestAppliances.SO);
      hsm.setPolicy(TestAppliances.SO, Hsm.POLICY_FORCE_PIN_CHANGE, 0);
      hsm.createPartition(TestAppliances.SO, "par", "V1");
      hsm.initializePartition(TestAppliances.SO, TestAppliances.PO, TestAppliances.DOMAIN);
      hsm.initCo(TestAppliances.PO, TestAppliances.CO);
      hsm.authenticateCo(TestAppliances.CO);
    }
  }

  @Test
  void partitionPolicy40_mustBeZero_beforeClusterUse() {
    try (Appliance a = TestAppliances.fresh(dir)) {
      Hsm hsm = a.hsm();
      hsm.initialize("hsm1", TestAppliances.SO);
      hsm.createPartition(TestAppliances.SO, "par", "V1");
      hsm.initializePartition(TestAppliances.SO, TestAppliances.PO, TestAppliances.DOMAIN);
      hsm.initCo(TestAppliances.PO, TestAppliances.CO_INITIAL);
      hsm.changeCoPassword(TestAppliances.CO_INITIAL, TestAppliances.CO);
      HsmException e = assertThrows(HsmException.class, hsm::requireReadyForCluster);
      assertTrue(e.getMessage().contains("policy 40"), e.getMessage());
      assertCode(ResultCode.CKR_FUNCTION_FAILED, () -> a.createCluster(TestAppliances.SO, "c1"));
      assertFalse(a.cluster().isPresent());
      hsm.setPartitionPolicy(TestAppliances.PO, Hsm.POLICY_PER_KEY_AUTH, 0);
      a.createCluster(TestAppliances.SO, "c1");
      assertTrue(a.cluster().isPresent());
    }
  }

  @Test
  void wrongPasswords_areRefused_withPinIncorrect() {
    try (Appliance a = TestAppliances.fresh(dir)) {
      TestAppliances.prepare(a);
      assertCode(ResultCode.CKR_PIN_INCORRECT, () -> a.hsm().authenticateSo("not-the-so-pw"));
      assertCode(ResultCode.CKR_PIN_INCORRECT, () -> a.hsm().authenticateCo("not-the-co-pw"));
      assertCode(
          ResultCode.CKR_PIN_INCORRECT,
          () -> a.hsm().setPartitionPolicy("not-the-po-pw", Hsm.POLICY_PER_KEY_AUTH, 1));
      assertCode(
          ResultCode.CKR_PIN_LEN_RANGE, () -> a.hsm().changeCoPassword(TestAppliances.CO, "short"));
    }
  }

  @Test
  void smk_isCreatedWithCluster_persistedProtected_andReloadedAfterRestart() {
    String fingerprint;
    try (Appliance a = TestAppliances.withCluster(dir)) {
      assertTrue(a.hsm().hasSmk());
      fingerprint = a.boundary().smkFingerprint();
      assertEquals(fingerprint, a.hsm().partition().orElseThrow().smkFingerprint());
      assertCode(ResultCode.CKR_FUNCTION_FAILED, () -> a.createCluster(TestAppliances.SO, "again"));
    }
    try (Appliance b = TestAppliances.fresh(dir)) {
      assertTrue(b.boundary().hasSmk());
      assertEquals(fingerprint, b.boundary().smkFingerprint());
      assertEquals("LNH-" + b.hsm().serialNumber(), b.defaultMemberName());
    }
  }
}
