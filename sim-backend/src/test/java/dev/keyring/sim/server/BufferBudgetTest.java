package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** The member-wide budget and the per-request lease over it. */
class BufferBudgetTest {
  @Test
  void reservations_upToTheLimit_andARefusalChangesNothing() {
    BufferBudget b = new BufferBudget(100);
    assertTrue(b.tryReserve(60));
    assertTrue(b.tryReserve(40));
    assertFalse(b.tryReserve(1));
    HsmException e = assertThrows(HsmException.class, () -> b.reserve(1, "a part of 1 bytes"));
    assertEquals(ResultCode.CKR_DEVICE_MEMORY, e.code());
    assertTrue(e.getMessage().contains("a part of 1 bytes"), e.getMessage());
    assertEquals(100, b.used());
    b.release(60);
    assertEquals(40, b.used());
    assertEquals(100, b.peak());
    assertThrows(IllegalStateException.class, () -> b.release(41));
  }

  @Test
  void concurrentReservations_neverPassTheLimit() throws Exception {
    BufferBudget b = new BufferBudget(1000);
    AtomicLong granted = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  if (b.tryReserve(7)) {
                    granted.addAndGet(7);
                    b.release(7);
                    granted.addAndGet(-7);
                  }
                }
              });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    assertTrue(b.peak() <= 1000);
    assertEquals(0, b.used());
    assertEquals(0, granted.get());
  }

  @Test
  void lease_releasesEverythingItHolds_whenTheAnswerIsWrittenOrFails() {
    BufferBudget b = new BufferBudget(100);
    for (boolean fail : new boolean[] {false, true}) {
      Lease lease = new Lease(b);
      assertTrue(lease.tryReserve(30));
      assertTrue(b.tryReserve(20));
      lease.takeOver(20, b); // a finished operation's input
      assertEquals(50, b.used());
      Callback cb = lease.releasing(Callback.NOOP);
      if (fail) {
        cb.failed(new Exception("connection lost"));
      } else {
        cb.succeeded();
      }
      assertEquals(0, b.used());
    }
    BufferBudget other = new BufferBudget(10);
    assertTrue(other.tryReserve(5));
    new Lease(b).takeOver(5, other);
    assertEquals(0, other.used(), "a reservation in another budget goes back at once");
  }
}
