package dev.keyring.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ClusterPositionTest {
  private static final UUID CLUSTER = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");

  @Test
  void headerValue_roundTrips() {
    ClusterPosition p = new ClusterPosition(CLUSTER, 3, 42);
    assertEquals("3.42@1b4e28ba-2fa1-11d2-883f-0016d3cca427", p.toString());
    assertEquals(p, ClusterPosition.parse(p.toString()));
    assertEquals(p, ClusterPosition.parse(" 3.42@1B4E28BA-2FA1-11D2-883F-0016D3CCA427 "));
  }

  @Test
  void malformedValues_areRefused_withoutRepeatingThem() {
    for (String bad :
        new String[] {
          null,
          "",
          "42",
          "3.42",
          "3/42@" + CLUSTER,
          "-1.42@" + CLUSTER,
          "3.42@not-a-uuid",
          "3.4x2@" + CLUSTER,
          "3.99999999999999999999@" + CLUSTER,
          "password-like value"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ClusterPosition.parse(bad));
      assertFalse(e.getMessage().contains("password-like"), e.getMessage());
    }
  }

  @Test
  void positions_compareBySequence_acrossEpochs() {
    ClusterPosition older = new ClusterPosition(CLUSTER, 5, 10);
    ClusterPosition newer = new ClusterPosition(CLUSTER, 4, 11);
    assertTrue(newer.atOrPast(older));
    assertFalse(older.atOrPast(newer));
    assertTrue(older.atOrPast(older));
  }

  @Test
  void memberBehind_isAVendorCode_answered503() {
    assertEquals(0x80000101L, ResultCode.CKR_MEMBER_BEHIND.value());
    assertEquals(ResultCode.CKR_MEMBER_BEHIND, ResultCode.fromValue(0x80000101L));
    assertEquals(503, ErrorResponse.httpStatus(ResultCode.CKR_MEMBER_BEHIND));
    HsmException e = ErrorResponse.of(ResultCode.CKR_MEMBER_BEHIND, "behind").toException();
    assertEquals(ResultCode.CKR_MEMBER_BEHIND, e.code());
  }
}
