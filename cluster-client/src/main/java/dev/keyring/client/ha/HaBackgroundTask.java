package dev.keyring.client.ha;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One background task of an HA group (recovery, following the client file): a daemon thread of its
 * own that runs the task at a fixed delay while the group is logged in. Stopping lets a run under
 * way finish (up to 10 s) rather than interrupting it: one cut off while it opens a session on a
 * member would leave that session open there, unknown to the group, which closes its members'
 * sessions next.
 */
final class HaBackgroundTask {
  private final String threadName;
  private ScheduledExecutorService scheduler;

  HaBackgroundTask(String threadName) {
    this.threadName = threadName;
  }

  /** Runs {@code task} every {@code delay}, first after one delay; nothing when started already. */
  synchronized void start(Duration delay, Runnable task) {
    if (scheduler != null) {
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    long ms = delay.toMillis();
    scheduler.scheduleWithFixedDelay(task, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Stops the task, letting a run under way finish (bounded). */
  synchronized void stop() {
    if (scheduler != null) {
      scheduler.shutdown();
      try {
        if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
          scheduler.shutdownNow();
        }
      } catch (InterruptedException e) {
        scheduler.shutdownNow();
        Thread.currentThread().interrupt();
      }
      scheduler = null;
    }
  }
}
