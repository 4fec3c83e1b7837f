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
}
