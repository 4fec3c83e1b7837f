package dev.keyring.client.channel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The recent latencies of one call (the last {@value #SIZE} answers) and their 99th percentile,
 * recomputed every {@value #EVERY} samples. Lock-free: recording is two atomic operations; a sample
 * overwritten while the percentile is computed only shifts the estimate.
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

  private long compute(int n) {
    long[] copy = new long[n];
    for (int i = 0; i < n; i++) {
      copy[i] = samples.get(i);
    }
    Arrays.sort(copy);
    int index = (int) Math.ceil(0.99 * n) - 1;
    return copy[Math.max(0, index)];
  }
}
