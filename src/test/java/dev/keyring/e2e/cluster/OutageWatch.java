package dev.keyring.e2e.cluster;

import java.util.function.LongSupplier;

/**
 * The write outage of a fault run: the longest time without a new successful write, sampled every
 * 20 ms from a count of acknowledged writes.
 */
final class OutageWatch {
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long longestNanos;

  OutageWatch(LongSupplier acknowledged) {
    thread =
        new Thread(
            () -> {
              long seen = acknowledged.getAsLong();
              long since = System.nanoTime();
              while (running) {
                long now = acknowledged.getAsLong();
                long t = System.nanoTime();
                if (now != seen) {
                  seen = now;
                  since = t;
                }
                longestNanos = Math.max(longestNanos, t - since);
                try {
                  Thread.sleep(20);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "outage-watch");
    thread.setDaemon(true);
    thread.start();
  }

  void stop() throws InterruptedException {
    running = false;
    thread.join();
  }

  long longestMillis() {
    return longestNanos / 1_000_000;
  }
}
