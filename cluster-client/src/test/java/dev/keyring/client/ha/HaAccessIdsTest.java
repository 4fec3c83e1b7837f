package dev.keyring.client.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** One access ID per client and member: a member slot and its group's slot exclude each other. */
class HaAccessIdsTest {
  private final HaAccessIds ids = new HaAccessIds();

  @Test
  void aGroupIsRefusedWhileAMemberSlotIsOpenDirectly() {
    HaAccessIds.Claim direct = ids.direct("211061551419", "a1");
    HsmException e =
        assertThrows(
            HsmException.class, () -> ids.group("pay", List.of("211061551419", "629620263835")));
    assertEquals(ResultCode.CKR_ACCESS_ID_ALREADY_EXISTS, e.code());
    assertTrue(e.getMessage().contains("log out of the member slot first"), e.getMessage());
    assertTrue(e.getMessage().contains("'a1' (serial 211061551419)"), e.getMessage());
    direct.close();
    ids.group("pay", List.of("211061551419", "629620263835")).close();
  }

  @Test
  void aMemberSlotIsRefusedWhileItsGroupIsOpen() {
    HaAccessIds.Claim group = ids.group("pay", List.of("211061551419", "629620263835"));
    HsmException e = assertThrows(HsmException.class, () -> ids.direct("629620263835", "b1"));
    assertEquals(ResultCode.CKR_ACCESS_ID_ALREADY_EXISTS, e.code());
    assertTrue(e.getMessage().contains("HA group 'pay'"), e.getMessage());
    assertTrue(e.getMessage().contains("log out of the group's slot first"), e.getMessage());
    ids.direct("555310472286", "c1").close(); // a slot in no open group
    HaAccessIds.Claim second = ids.group("PAY", List.of("211061551419"));
    group.close();
    assertThrows(HsmException.class, () -> ids.direct("211061551419", "a1"));
    second.close();
    second.close(); // twice is harmless
    ids.direct("211061551419", "a1").close();
    ids.direct("629620263835", "b1").close();
  }

  @Test
  void aGroupWhoseMembersChange_claimsItsMembersOfTheMoment() {
    AtomicReference<List<String>> members =
        new AtomicReference<>(List.of("211061551419", "629620263835"));
    HaAccessIds.Claim group = ids.group("pay", members::get);
    ids.direct("555310472286", "c1").close(); // not a member yet
    members.set(List.of("211061551419", "555310472286")); // c1 added, b1 removed
    HsmException e = assertThrows(HsmException.class, () -> ids.direct("555310472286", "c1"));
    assertEquals(ResultCode.CKR_ACCESS_ID_ALREADY_EXISTS, e.code());
    assertTrue(e.getMessage().contains("HA group 'pay'"), e.getMessage());
    ids.direct("629620263835", "b1").close(); // no longer the group's
    group.close();
    ids.direct("555310472286", "c1").close();
  }
}
