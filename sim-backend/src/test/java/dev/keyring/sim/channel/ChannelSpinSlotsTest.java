package dev.keyring.sim.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The readers' spinning slots: one per processor, shared by every member in the JVM; the slots
 * given back after one try are taken again at the next.
 */
class ChannelSpinSlotsTest {

  @Test
  void oneSlotPerProcessorSharedByTheJvm() throws InterruptedException {
    int processors = Runtime.getRuntime().availableProcessors();
    int most = 0;
    // a reader of another member in this JVM holds a slot for at most its spin (200 µs by
    // default): a few tries see them all free
    for (int attempt = 0; attempt < 100 && most < processors; attempt++) {
      int taken = take(processors + 1);
      try {
        assertTrue(taken <= processors, taken + " slots taken on " + processors + " processors");
        if (taken == processors) {
          assertFalse(ChannelServer.startSpin(), "a slot beyond one per processor");
        }
        most = Math.max(most, taken);
      } finally {
        give(taken);
      }
      Thread.sleep(1);
    }
    assertEquals(processors, most, "all the slots were free at some try");
  }

  private static int take(int most) {
    int taken = 0;
    while (taken < most && ChannelServer.startSpin()) {
      taken++;
    }
    return taken;
  }

  private static void give(int taken) {
    for (int i = 0; i < taken; i++) {
      ChannelServer.endSpin();
    }
  }
}
