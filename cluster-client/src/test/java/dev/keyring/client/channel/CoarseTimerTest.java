package dev.keyring.client.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link CoarseTimer}: due tasks are handed over, cancelled ones dropped, the thread sleeps when
 * nothing is armed and wakes for the next timer, and a closed timer refuses. The waits are bounded
 * guards against a hang, not measures of time.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CoarseTimerTest {
  private static final long GUARD_NANOS = TimeUnit.SECONDS.toNanos(30);

  @Test
  void aDueTask_isHandedToTheRunner_notBeforeItsDelay() throws Exception {
    List<String> ran = new CopyOnWriteArrayList<>();
    try (CoarseTimer t = new CoarseTimer("coarse-timer-test-due", Runnable::run)) {
      CountDownLatch done = new CountDownLatch(1);
      long armedAt = System.nanoTime();
      long[] ranAt = new long[1];
      t.schedule(
          () -> {
            ranAt[0] = System.nanoTime();
            ran.add("due");
            done.countDown();
          },
          TimeUnit.MILLISECONDS.toNanos(20));
      assertTrue(done.await(30, TimeUnit.SECONDS), "the task ran");
      assertEquals(List.of("due"), ran);
      assertTrue(ranAt[0] - armedAt >= TimeUnit.MILLISECONDS.toNanos(20), "never before its delay");
      await(() -> t.armedCount() == 0, "a task handed over is no longer armed");
    }
  }

  @Test
  void aCancelledTask_neverRuns_andIsDroppedAtTheNextSweep() throws Exception {
    List<String> ran = new CopyOnWriteArrayList<>();
    try (CoarseTimer t = new CoarseTimer("coarse-timer-test-cancel", Runnable::run)) {
      CoarseTimer.Armed cancelled = t.schedule(() -> ran.add("cancelled"), 0);
      cancelled.cancel();
      CountDownLatch later = new CountDownLatch(1);
      // armed after the cancelled one, due after it: when it has run, the sweep that saw the
      // cancelled one due has passed
      t.schedule(later::countDown, TimeUnit.MILLISECONDS.toNanos(1));
      assertTrue(later.await(30, TimeUnit.SECONDS), "the task armed after it ran");
      await(() -> t.armedCount() == 0, "the cancelled timer is dropped");
      assertEquals(List.of(), ran, "a cancelled task is not handed over");
    }
  }

  @Test
  void withNothingArmed_theThreadSleeps_andTheNextTimerWakesIt() throws Exception {
    String name = "coarse-timer-test-sleep";
    try (CoarseTimer t = new CoarseTimer(name, Runnable::run)) {
      Thread thread = threadNamed(name);
      // parked without a timeout, not ticking: after IDLE_TICKS ticks with nothing armed
      await(() -> thread.getState() == Thread.State.WAITING, "the idle timer thread sleeps");
      CountDownLatch done = new CountDownLatch(1);
      t.schedule(done::countDown, 0);
      assertTrue(done.await(30, TimeUnit.SECONDS), "a timer armed while it slept ran");
    }
  }

  @Test
  void aClosedTimer_refusesNewTimers_andItsThreadEnds() throws Exception {
    String name = "coarse-timer-test-closed";
    CoarseTimer t = new CoarseTimer(name, Runnable::run);
    Thread thread = threadNamed(name);
    List<String> ran = new CopyOnWriteArrayList<>();
    t.schedule(() -> ran.add("dropped"), TimeUnit.HOURS.toNanos(1));
    t.close();
    assertThrows(RejectedExecutionException.class, () -> t.schedule(() -> ran.add("late"), 0));
    thread.join(TimeUnit.NANOSECONDS.toMillis(GUARD_NANOS));
    assertFalse(thread.isAlive(), "the timer's thread ended");
    assertEquals(0, t.armedCount(), "armed timers are dropped");
    assertEquals(List.of(), ran);
  }

  @Test
  void aRunnerThatRefuses_isIgnored_andLaterTimersStillRun() throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    boolean[] refuseFirst = {true};
    try (CoarseTimer t =
        new CoarseTimer(
            "coarse-timer-test-refused",
            r -> {
              if (refuseFirst[0]) {
                refuseFirst[0] = false;
                throw new RejectedExecutionException("closing");
              }
              r.run();
            })) {
      t.schedule(() -> {}, 0);
      await(() -> !refuseFirst[0], "the first task was offered");
      t.schedule(done::countDown, 0);
      assertTrue(done.await(30, TimeUnit.SECONDS), "the timer went on after a refusal");
    }
  }

  private static Thread threadNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(th -> th.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no thread " + name));
  }

  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + GUARD_NANOS;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(2);
    }
  }
}
