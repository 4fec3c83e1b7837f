package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.ResultCode;
import dev.keyring.testing.FakeTicker;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Crypto API sessions idle longer than the timeout, by the ticker, are closed by the sweep, and
 * give back what their multi-part operations held.
 */
class CryptoSessionsTest {
  private final FakeTicker ticker = new FakeTicker();
  private final CryptoSessions sessions = new CryptoSessions(Duration.ofMinutes(10), ticker);
  private final UUID keyring = UUID.randomUUID();

  @AfterEach
  void close() {
    sessions.close();
  }

  @Test
  void session_idleLongerThanTheTimeout_isClosedBySweep() {
    CryptoSessions.Entry e = sessions.open("client-1", keyring, "ring");

    ticker.advance(Duration.ofMinutes(10));
    sessions.sweep();
    assertSame(e, sessions.get(e.id, "client-1"), "idle exactly the timeout: still open");

    ticker.advance(Duration.ofMinutes(10).plusNanos(1));
    sessions.sweep();
    HsmException gone = assertThrows(HsmException.class, () -> sessions.get(e.id, "client-1"));
    assertEquals(ResultCode.CKR_SESSION_HANDLE_INVALID, gone.code());
    assertEquals(0, sessions.open());
  }

  @Test
  void session_usedWithinTheTimeout_staysOpen() {
    CryptoSessions.Entry e = sessions.open("client-1", keyring, "ring");
    for (int i = 0; i < 5; i++) {
      ticker.advance(Duration.ofMinutes(9));
      sessions.get(e.id, "client-1"); // a use restarts the idle clock
      sessions.sweep();
    }
    assertEquals(1, sessions.open());
  }

  @Test
  void expiredSession_givesWhatItsOperationsGatheredBackToTheBudget() {
    BufferBudget budget = new BufferBudget(1 << 20);
    CryptoSessions.Entry e = sessions.open("client-1", keyring, "ring");
    MultiPartOperation op =
        new MultiPartOperation(
            MultiPartOperation.Kind.SIGN, 1, Mechanism.CKM_ECDSA_SHA256, null, budget);
    e.operations.put("op", op);
    op.append(new byte[1000]);
    op.append(new byte[24]);
    assertEquals(1024, budget.used());
    HsmException full = assertThrows(HsmException.class, () -> op.append(new byte[1 << 20]));
    assertEquals(ResultCode.CKR_DEVICE_MEMORY, full.code());
    assertEquals(1024, budget.used(), "a refused part reserves nothing");

    ticker.advance(Duration.ofMinutes(11));
    sessions.sweep();
    assertEquals(0, sessions.open());
    assertEquals(0, budget.used());
    assertTrue(e.operations.isEmpty());
    HsmException ended = assertThrows(HsmException.class, () -> op.append(new byte[1]));
    assertEquals(ResultCode.CKR_OPERATION_NOT_INITIALIZED, ended.code());
    assertEquals(0, budget.used());
  }

  private static final String ID = "00112233445566778899aabbccddeeff";

  @Test
  void openUnderTheClientsId_isThatSession_andTheIdIsNotTakenTwice() {
    CryptoSessions.Entry e = sessions.open("client-1", keyring, "ring", ID);
    assertEquals(ID, e.id);
    assertSame(e, sessions.get(ID, "client-1"));
    HsmException taken =
        assertThrows(HsmException.class, () -> sessions.open("client-1", keyring, "ring", ID));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, taken.code());
    HsmException other =
        assertThrows(HsmException.class, () -> sessions.open("client-2", keyring, "ring", ID));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, other.code());
    assertEquals(1, sessions.open(), "a refused open holds nothing");
    sessions.close(ID, "client-1");
    assertEquals(0, sessions.open());
    assertEquals(0, sessions.closedEarly(), "a close of an open session remembers nothing");
  }

  @Test
  void malformedClientIds_areRefused() {
    for (String bad :
        new String[] {"", "abc", ID.toUpperCase(), ID + "0", ID.substring(1) + "g", "../" + ID}) {
      HsmException e =
          assertThrows(HsmException.class, () -> sessions.open("client-1", keyring, "ring", bad));
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code(), bad);
    }
    assertEquals(0, sessions.open());
  }

  @Test
  void closeBeforeItsOpen_refusesThatOpen_forThatClientOnly() {
    HsmException unknown = assertThrows(HsmException.class, () -> sessions.close(ID, "client-1"));
    assertEquals(ResultCode.CKR_SESSION_HANDLE_INVALID, unknown.code());
    assertEquals(1, sessions.closedEarly());

    HsmException late =
        assertThrows(HsmException.class, () -> sessions.open("client-1", keyring, "ring", ID));
    assertEquals(ResultCode.CKR_SESSION_CLOSED, late.code());
    assertEquals(0, sessions.open());
    assertEquals(0, sessions.closedEarly(), "the refused open used the remembered close up");

    // another client's close says nothing of this client's ids
    assertThrows(HsmException.class, () -> sessions.close(ID, "client-2"));
    assertEquals(ID, sessions.open("client-1", keyring, "ring", ID).id);
  }

  @Test
  void closesBeforeTheirOpens_areRememberedForTheIdleTimeout_andBoundedPerClient() {
    for (int i = 0; i < CryptoSessions.MAX_CLOSED_PER_CLIENT + 10; i++) {
      String id = String.format("%032x", i);
      assertThrows(HsmException.class, () -> sessions.close(id, "client-1"));
    }
    assertThrows(HsmException.class, () -> sessions.close("not-one-a-client-picks", "client-1"));
    assertEquals(CryptoSessions.MAX_CLOSED_PER_CLIENT, sessions.closedEarly());
    assertThrows(HsmException.class, () -> sessions.close(ID, "client-2"));
    assertEquals(CryptoSessions.MAX_CLOSED_PER_CLIENT + 1, sessions.closedEarly());

    ticker.advance(Duration.ofMinutes(10));
    sessions.sweep();
    assertEquals(CryptoSessions.MAX_CLOSED_PER_CLIENT + 1, sessions.closedEarly());
    ticker.advance(Duration.ofNanos(1));
    sessions.sweep();
    assertEquals(0, sessions.closedEarly());
    assertEquals(ID, sessions.open("client-2", keyring, "ring", ID).id, "forgotten: opens again");
  }

  @Test
  void closesBeforeTheirOpens_areBoundedForAllClientsTogether() {
    int clients = CryptoSessions.MAX_CLOSED / CryptoSessions.MAX_CLOSED_PER_CLIENT + 1;
    for (int c = 0; c < clients; c++) {
      for (int i = 0; i < CryptoSessions.MAX_CLOSED_PER_CLIENT; i++) {
        String id = String.format("%032x", i);
        String owner = "client-" + c;
        assertThrows(HsmException.class, () -> sessions.close(id, owner));
      }
    }
    assertEquals(CryptoSessions.MAX_CLOSED, sessions.closedEarly());
    HsmException late =
        assertThrows(
            HsmException.class,
            () -> sessions.open("client-0", keyring, "ring", String.format("%032x", 0)));
    assertEquals(ResultCode.CKR_SESSION_CLOSED, late.code());
    assertEquals(CryptoSessions.MAX_CLOSED - 1, sessions.closedEarly(), "room for one more");
    ticker.advance(Duration.ofMinutes(11));
    sessions.sweep();
    assertEquals(0, sessions.closedEarly());
  }

  @Test
  void closeRacingItsOpen_neverLeavesTheSessionOpen() throws Exception {
    for (int round = 0; round < 500; round++) {
      String id = String.format("%032x", round);
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      Thread opener =
          new Thread(
              () -> {
                try {
                  go.await();
                  sessions.open("client-1", keyring, "ring", id);
                } catch (HsmException | InterruptedException refused) {
                  // closed first: refused
                }
              });
      opener.start();
      go.countDown();
      try {
        sessions.close(id, "client-1");
      } catch (HsmException notYetOpen) {
        // remembered: the open is refused
      }
      opener.join();
      assertEquals(0, sessions.open(), "round " + round + ": the session stayed open");
    }
  }
}
