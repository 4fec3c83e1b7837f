package dev.keyring.client.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyWindowTest {
  /** The nearest-rank 99th percentile of {@code v}, by sorting a copy. */
  private static long sorted99(long[] v, int n) {
    long[] copy = Arrays.copyOf(v, n);
    Arrays.sort(copy);
    return copy[Math.max(0, (int) Math.ceil(0.99 * n) - 1)];
  }

  @Test
  void p99_isTheNearestRank_asBySorting_atEveryFill_andAfterTheWindowWraps() {
    Random r = new Random(20261205);
    for (int round = 0; round < 50; round++) {
      LatencyWindow w = new LatencyWindow();
      long[] kept = new long[LatencyWindow.SIZE];
      int total = LatencyWindow.SIZE * 3 + r.nextInt(LatencyWindow.SIZE);
      for (int i = 0; i < total; i++) {
        // ties are common (equal latencies), so draw from a small range too
        long v = round % 2 == 0 ? r.nextInt(20) : (long) r.nextInt(1_000_000_000);
        w.record(v);
        kept[i % LatencyWindow.SIZE] = v;
        int n = Math.min(i + 1, LatencyWindow.SIZE);
        assertEquals(sorted99(kept, n), w.compute(n), "round " + round + ", sample " + i);
        if ((i + 1) % LatencyWindow.EVERY == 0) {
          assertEquals(sorted99(kept, n), w.p99(), "the published value, sample " + i);
        }
      }
    }
  }

  @Test
  void beforeEverySamples_nothingIsPublished() {
    LatencyWindow w = new LatencyWindow();
    for (int i = 0; i < LatencyWindow.EVERY - 1; i++) {
      w.record(5);
    }
    assertEquals(-1, w.p99());
    w.record(7);
    assertEquals(7, w.p99(), "the largest of 16");
  }
}
