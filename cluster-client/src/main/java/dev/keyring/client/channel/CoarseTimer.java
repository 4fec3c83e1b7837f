package dev.keyring.client.channel;

import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The timer of {@link Hedging}: hands a task to an executor once its delay has passed, checked
 * every {@link #TICK_NANOS} (a task runs up to one tick late).
 *
 * <p>Arming and cancelling a timer is a queue insertion and a flag, with no thread woken while
 * calls keep coming: one thread sweeps the armed timers every tick while any is armed, and sleeps
 * once none has been for {@link #IDLE_TICKS} ticks, until the next is armed. A {@code
 * ScheduledThreadPoolExecutor} woke its thread whenever a new task became its earliest, which it
 * was at every call of a client calling one at a time (the previous call's timers cancelled and
 * removed): a thread wake-up per call, measured as a fifth of a one-thread P-256 signature through
 * the channel on a two-core machine.
 */
final class CoarseTimer implements AutoCloseable {
  /** How often armed timers are checked: 5 ms. */
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  /** Ticks with nothing armed before the thread sleeps until something is: one second's worth. */
  static final int IDLE_TICKS = 200;

  /** A timer armed by {@link #schedule}. */
  interface Armed {
    /** Keeps the task from being handed over, unless it already was. */
    void cancel();
  }

  private static final class Entry implements Armed {
    final long due;
    final Runnable task;
    volatile boolean cancelled;

    Entry(long due, Runnable task) {
      this.due = due;
      this.task = task;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  private final ConcurrentLinkedQueue<Entry> armed = new ConcurrentLinkedQueue<>();
  private final Executor runner;
  private final Thread thread;
  private volatile boolean sleeping;
  private volatile boolean closed;

  /** Starts the timer's thread, named {@code name}; due tasks are handed to {@code runner}. */
  CoarseTimer(String name, Executor runner) {
    this.runner = runner;
    this.thread = new Thread(this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Hands {@code task} to the runner once {@code nanos} have passed (up to one tick later).
   *
   * @throws RejectedExecutionException when the timer is closed
   */
  Armed schedule(Runnable task, long nanos) {
    if (closed) {
      throw new RejectedExecutionException("the timer is closed");
    }
    Entry e = new Entry(System.nanoTime() + nanos, task);
    armed.add(e);
    if (sleeping) {
      LockSupport.unpark(thread);
    }
    return e;
  }

  private void loop() {
    int idle = 0;
    while (!closed) {
      if (!armed.isEmpty()) {
        idle = 0;
        sweep();
      } else if (++idle >= IDLE_TICKS) {
        sleeping = true;
        if (armed.isEmpty() && !closed) {
          LockSupport.park(this);
        }
        sleeping = false;
        idle = 0;
        continue;
      }
      LockSupport.parkNanos(this, TICK_NANOS);
    }
  }

  /** Drops the cancelled timers and hands over the due ones. */
  private void sweep() {
    long now = System.nanoTime();
    for (Iterator<Entry> i = armed.iterator(); i.hasNext(); ) {
      Entry e = i.next();
      if (e.cancelled) {
        i.remove();
      } else if (now - e.due >= 0) {
        i.remove();
        try {
          runner.execute(e.task);
        } catch (RejectedExecutionException closing) {
          // the client is closing: nothing is hedged or abandoned any more
        }
      }
    }
  }

  /** The timers armed and not yet dropped or handed over (cancelled ones until the next sweep). */
  int armedCount() {
    return armed.size();
  }

  /** Stops the thread; armed timers are dropped. */
  @Override
  public void close() {
    closed = true;
    armed.clear();
    LockSupport.unpark(thread);
  }
}
