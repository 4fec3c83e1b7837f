package dev.keyring.client.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.protocol.ResultCode;
import org.junit.jupiter.api.Test;

/** The decisions of the recovery table, one kind of call and one failure at a time. */
class CallKindTest {
  private static TransportException sent() {
    return new TransportException(Kind.IO, "reset after sending", null, true, true);
  }

  private static TransportException notSent() {
    return new TransportException(Kind.IO, "reset before sending", null, false, true);
  }

  @Test
  void sameMember_onceMore_forAnyCallNotSent_andForRepeatableCallsSent() {
    for (CallKind k : CallKind.values()) {
      assertTrue(k.againOnSameMember(notSent()), k + ": nothing was sent");
    }
    assertTrue(CallKind.READ_REPEATABLE.againOnSameMember(sent()));
    assertFalse(CallKind.READ_ONCE.againOnSameMember(sent()));
    assertFalse(CallKind.WRITE.againOnSameMember(sent()), "a write that may have happened");
    assertFalse(CallKind.ON_MEMBER.againOnSameMember(sent()));
  }

  @Test
  void failuresNoSecondAttemptCouldOvercome_areNotRepeatedOnTheSameMember() {
    TransportException deadline = new TransportException(Kind.IO, "timeout", null, true, false);
    TransportException unknownHost =
        new TransportException(Kind.CONNECT, "unknown host", null, false, false);
    TransportException tls = new TransportException(Kind.TLS, "bad_certificate");
    for (CallKind k : CallKind.values()) {
      assertFalse(k.againOnSameMember(deadline), k.name());
      assertFalse(k.againOnSameMember(unknownHost), k.name());
      assertFalse(k.againOnSameMember(tls), k.name());
    }
  }

  @Test
  void anotherMember_afterAConnectFailure_forEveryRoutedCall_afterIo_forReadsOnly() {
    TransportException connect = new TransportException(Kind.CONNECT, "refused");
    for (CallKind k : new CallKind[] {CallKind.READ_REPEATABLE, CallKind.READ_ONCE}) {
      assertTrue(k.elsewhereAfter(connect));
      assertTrue(k.elsewhereAfter(sent()));
    }
    assertTrue(CallKind.WRITE.elsewhereAfter(connect), "the request never left");
    assertFalse(CallKind.WRITE.elsewhereAfter(sent()));
    assertFalse(CallKind.ON_MEMBER.elsewhereAfter(connect), "it stays on its member");
    assertFalse(CallKind.READ_REPEATABLE.elsewhereAfter(new TransportException(Kind.TLS, "x")));
    assertFalse(
        CallKind.READ_REPEATABLE.elsewhereAfter(new TransportException(Kind.PROTOCOL, "x")));
  }

  @Test
  void writeProtected_sendsOnlyWritesElsewhere() {
    assertTrue(CallKind.WRITE.elsewhereAfter(ResultCode.CKR_TOKEN_WRITE_PROTECTED));
    assertFalse(CallKind.READ_REPEATABLE.elsewhereAfter(ResultCode.CKR_TOKEN_WRITE_PROTECTED));
    assertFalse(CallKind.WRITE.elsewhereAfter(ResultCode.CKR_PIN_INCORRECT));
  }

  @Test
  void notLoggedIn_meansALostSession_onlyWhileTheLogicalSessionIsLoggedIn() {
    assertTrue(CallKind.READ_REPEATABLE.sessionLost(ResultCode.CKR_USER_NOT_LOGGED_IN, true));
    assertFalse(CallKind.READ_REPEATABLE.sessionLost(ResultCode.CKR_USER_NOT_LOGGED_IN, false));
    assertTrue(CallKind.WRITE.sessionLost(ResultCode.CKR_SESSION_HANDLE_INVALID, false));
    assertTrue(CallKind.READ_ONCE.sessionLost(ResultCode.CKR_SESSION_CLOSED, false));
    assertFalse(CallKind.ON_MEMBER.sessionLost(ResultCode.CKR_SESSION_HANDLE_INVALID, true));
  }

  @Test
  void memberBehind_sendsEveryRoutedCallToThePrimary_butNotACallBoundToItsMember() {
    for (CallKind k : CallKind.values()) {
      assertTrue(
          k.toPrimaryAfter(ResultCode.CKR_MEMBER_BEHIND) == k.routed(),
          k + ": the member did nothing, so any routed call may go to the primary");
      assertFalse(k.toPrimaryAfter(ResultCode.CKR_TOKEN_WRITE_PROTECTED), k.name());
    }
    assertFalse(CallKind.ON_MEMBER.toPrimaryAfter(ResultCode.CKR_MEMBER_BEHIND));
  }

  @Test
  void deviceError_sendsOnlyRepeatableReads_elsewhere() {
    for (CallKind k : CallKind.values()) {
      assertEquals(
          k == CallKind.READ_REPEATABLE,
          k.elsewhereAfterDeviceError(ResultCode.CKR_DEVICE_ERROR),
          k + ": only a read any member answers goes to another member after a store failure");
      assertFalse(k.elsewhereAfterDeviceError(ResultCode.CKR_GENERAL_ERROR), k.name());
    }
  }

  @Test
  void readPrimary_isARepeatableRead_thatOnlyThePrimaryAnswers() {
    assertTrue(CallKind.READ_PRIMARY.primary());
    assertTrue(CallKind.READ_PRIMARY.repeatable());
    assertFalse(CallKind.READ_PRIMARY.write());
    assertTrue(CallKind.READ_PRIMARY.againOnSameMember(sent()));
    for (CallKind k : CallKind.values()) {
      assertTrue(k.primary() == (k == CallKind.READ_PRIMARY), k.name());
    }
  }
}
