package dev.keyring.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CloningMessages.CloningOffer;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The rules {@code hagroup addmember} checks between the group's member and the new one. */
class HaPrerequisitesTest {
  private static CloningOffer offer(
      String serial, String domain, Map<Integer, Integer> hsm, Map<Integer, Integer> partition) {
    return new CloningOffer(
        serial, UUID.randomUUID(), UUID.randomUUID(), domain, new byte[] {1}, hsm, partition);
  }

  private static Map<Integer, Integer> hsm(int p7, int p12, int p16) {
    Map<Integer, Integer> m = new HashMap<>();
    m.put(7, p7);
    m.put(12, p12);
    m.put(16, p16);
    return m;
  }

  private static Map<Integer, Integer> partition(int p0, int p4) {
    Map<Integer, Integer> m = new HashMap<>();
    m.put(0, p0);
    m.put(4, p4);
    return m;
  }

  private static final CloningOffer PRIMARY =
      offer("211061551419", "dom", hsm(1, 1, 1), partition(1, 1));

  private static String refusal(CloningOffer candidate) {
    HsmException e =
        assertThrows(HsmException.class, () -> HaPrerequisites.require("pay", PRIMARY, candidate));
    assertEquals(ResultCode.CKR_FUNCTION_REJECTED, e.code());
    return e.getMessage();
  }

  @Test
  void allMet_passes() {
    HaPrerequisites.require(
        "pay", PRIMARY, offer("629620263835", "dom", hsm(1, 1, 1), partition(1, 1)));
  }

  @Test
  void eachRule_isNamedWhenItFails() {
    assertTrue(
        refusal(offer("629620263835", "other", hsm(1, 1, 1), partition(1, 1)))
            .contains("cloning domain differs"));
    assertTrue(
        refusal(offer("629620263835", "dom", hsm(1, 1, 1), partition(0, 1)))
            .contains("partition policy 0 (allow private key cloning)"));
    assertTrue(
        refusal(offer("629620263835", "dom", hsm(1, 1, 1), partition(1, 0)))
            .contains("partition policy 4 (allow secret key cloning)"));
    assertTrue(
        refusal(offer("629620263835", "dom", hsm(0, 1, 1), partition(1, 1)))
            .contains("HSM policy 7 (allow cloning)"));
    assertTrue(
        refusal(offer("629620263835", "dom", hsm(1, 1, 0), partition(1, 1)))
            .contains("HSM policy 16 (allow network replication)"));
    assertTrue(
        refusal(offer("629620263835", "dom", hsm(1, 0, 1), partition(1, 1)))
            .contains("HSM policy 12 (allow non-FIPS algorithms)"));
  }
}
