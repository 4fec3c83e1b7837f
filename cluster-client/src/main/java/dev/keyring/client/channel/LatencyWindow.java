package dev.keyring.client.channel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The recent latencies of one call (the last {@value #SIZE} answers) and their 99th percentile,
 * recomputed every {@value #EVERY} samples. Lock-free: recording is two atomic operations; a sample
 * overwritten while the percentile is computed only shifts the estimate.
 *
 * <p>Of at most {@value #SIZE} samples the 99th percentile (nearest rank) is the largest or the
 * second largest, found in one pass without a copy: sorting a copy of the window at every 16th
 * answer was a tenth of the client's Java samples in a profile of P-256 signing at two threads.
 */
final class LatencyWindow {
  static final int SIZE = 128;
  static final int EVERY = 16;

  private final AtomicLongArray samples = new AtomicLongArray(SIZE);
  private final AtomicLong count = new AtomicLong();
  private volatile long p99 = -1;

  /** Records one answer's latency. */
  void record(long nanos) {
    long n = count.getAndIncrement();
    samples.set((int) (n % SIZE), nanos);
    if ((n + 1) % EVERY == 0) {
      p99 = compute((int) Math.min(n + 1, SIZE));
    }
  }

  /** The 99th percentile of the recent latencies in nanoseconds; -1 before {@value #EVERY}. */
  long p99() {
    return p99;
  }

  /** The 99th percentile (nearest rank) of the first {@code n} samples. */
  long compute(int n) {
    int index = Math.max(0, (int) Math.ceil(0.99 * n) - 1);
    int fromTop = n - index; // 1: the largest, 2: the second largest (n <= SIZE)
    if (fromTop > 2) {
      long[] copy = new long[n];
      for (int i = 0; i < n; i++) {
        copy[i] = samples.get(i);
      }
      Arrays.sort(copy);
      return copy[index];
    }
    long first = Long.MIN_VALUE;
    long second = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      long v = samples.get(i);
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    return fromTop == 1 ? first : second;
  }
}
