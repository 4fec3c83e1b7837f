package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.protocol.time.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How {@link RecoveringChannel} treats a repeatable read ({@link CallKind#hedged()}) whose member
 * is slow, and the state that needs: one per client, shared by its channels.
 *
 * <ul>
 *   <li><b>Hedge.</b> When the member has not answered within the hedge delay, the same call is
 *       sent to a second member (chosen as for any read: affinity group first, none already tried)
 *       and the first answer is taken; the other attempt is abandoned ({@link AttemptScope}). The
 *       delay is 3 × the 99th percentile of that call's recent latencies on this client ({@link
 *       LatencyWindow}), clamped to [{@link TransportOptions#hedgeMinDelay()}, {@link
 *       TransportOptions#hedgeMaxDelay()}]; before 16 answers are known, the maximum. Hedges are
 *       budgeted: one per ten repeatable reads on average, at most ten in a burst, so a cluster
 *       slow everywhere does not get twice the load.
 *   <li><b>Deadline.</b> When the member has not answered within {@link
 *       TransportOptions#answerDeadline()}, and another member has the call or can take it, the
 *       attempt is abandoned there (its exchange cancelled, the connection closed) and the member
 *       marked down, so the following calls go elsewhere at once and the router probes it back. A
 *       member alone is waited for, as before.
 * </ul>
 *
 * A write is never hedged and has no deadline. Each attempt is still one attempt of the member
 * channel; this class only decides when a second one starts elsewhere and when one is given up.
 * Thread-safe; {@link #close()} stops its timer thread ({@link CoarseTimer}) and its hedge threads
 * (started at the first hedged call).
 */
public final class Hedging implements AutoCloseable {
  private static final int MULTIPLIER = 3;
  private static final int BUDGET_CAP = 100; // tenths of a hedge: ten hedges in a burst
  private static final int HEDGE_COST = 10;
  private static final AtomicInteger POOLS = new AtomicInteger();
  private static final Hedging OFF =
      new Hedging(false, Duration.ZERO, Duration.ZERO, Duration.ZERO, Ticker.SYSTEM);

  private final boolean enabled;
  private final long minDelay;
  private final long maxDelay;
  private final long deadline;
  private final Ticker ticker;
  private final Map<String, LatencyWindow> windows = new ConcurrentHashMap<>();
  private final AtomicInteger budget = new AtomicInteger(BUDGET_CAP);
  private final Object startLock = new Object();
  private volatile CoarseTimer timer;
  private volatile ExecutorService workers;
  private volatile boolean closed;

  private Hedging(boolean enabled, Duration min, Duration max, Duration deadline, Ticker ticker) {
    this.enabled = enabled;
    this.minDelay = min.toNanos();
    this.maxDelay = max.toNanos();
    this.deadline = deadline.toNanos();
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /** No hedge, no deadline: every attempt is waited for. */
  public static Hedging off() {
    return OFF;
  }

  /** The policy of {@code options}. */
  public static Hedging of(TransportOptions options) {
    return of(options, Ticker.SYSTEM);
  }

  /** The policy of {@code options}, measuring latencies on {@code ticker}. */
  public static Hedging of(TransportOptions options, Ticker ticker) {
    return new Hedging(
        options.hedging(),
        options.hedgeMinDelay(),
        options.hedgeMaxDelay(),
        options.answerDeadline(),
        ticker);
  }

  /** Whether calls of {@code kind} go through the hedge and the deadline. */
  boolean applies(CallKind kind) {
    return kind.hedged() && (enabled || deadline > 0) && !closed;
  }

  boolean hedges() {
    return enabled;
  }

  /** The deadline in nanoseconds; 0 for none. */
  long deadlineNanos() {
    return deadline;
  }

  Ticker ticker() {
    return ticker;
  }

  /** The hedge delay for the call {@code what}, in nanoseconds. */
  long delayNanos(String what) {
    LatencyWindow w = windows.get(what);
    long p99 = w == null ? -1 : w.p99();
    if (p99 < 0) {
      return maxDelay;
    }
    long d = p99 > Long.MAX_VALUE / MULTIPLIER ? Long.MAX_VALUE : p99 * MULTIPLIER;
    return Math.max(minDelay, Math.min(maxDelay, d));
  }

  /** The hedge delay for {@code what} as it stands. */
  public Duration delay(String what) {
    return Duration.ofNanos(delayNanos(what));
  }

  /** An answer to {@code what} came after {@code nanos}. */
  void answered(String what, long nanos) {
    windows.computeIfAbsent(what, k -> new LatencyWindow()).record(nanos);
  }

  /** A repeatable read starts: it earns a tenth of a hedge. */
  void earn() {
    if (budget.get() < BUDGET_CAP) {
      budget.incrementAndGet();
    }
  }

  /** Takes one hedge from the budget; false when it is spent. */
  boolean spend() {
    while (true) {
      int b = budget.get();
      if (b < HEDGE_COST) {
        return false;
      }
      if (budget.compareAndSet(b, b - HEDGE_COST)) {
        return true;
      }
    }
  }

  /** Gives back a hedge not sent. */
  void refund() {
    budget.addAndGet(HEDGE_COST);
  }

  /**
   * Runs {@code call} on {@code m} as a hedged attempt; a member that took a hedge is added to
   * {@code tried}.
   */
  <T> T attempt(
      MemberRouter router,
      RoutedMember m,
      List<RoutedMember> tried,
      CallKind kind,
      String what,
      RecoveryLoop.MemberCall<T> call)
      throws TransportException {
    return new HedgedAttempt<>(this, router, m, tried, kind, what, call).run();
  }

  /**
   * Runs {@code task} on a hedge thread after {@code nanos} (up to {@link CoarseTimer#TICK_NANOS}
   * later): the timer's one thread only hands it over, so a task that blocks (an abandon action
   * closing a connection to a paused peer, a member marked down) never holds back the other calls'
   * hedges and deadlines.
   *
   * @throws RejectedExecutionException when this policy is closed
   */
  CoarseTimer.Armed schedule(Runnable task, long nanos) {
    return timer().schedule(task, nanos);
  }

  void execute(Runnable task) {
    timer();
    workers.execute(task);
  }

  private CoarseTimer timer() {
    CoarseTimer t = timer;
    if (t != null) {
      return t;
    }
    synchronized (startLock) {
      if (timer == null) {
        int n = POOLS.incrementAndGet();
        ExecutorService w = Executors.newCachedThreadPool(daemons("keyring-hedge-" + n));
        workers = w;
        timer = new CoarseTimer("keyring-hedge-timer-" + n, w);
        if (closed) {
          close();
        }
      }
      return timer;
    }
  }

  private static ThreadFactory daemons(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops the timer and the hedge threads; later calls are neither hedged nor given deadlines. */
  @Override
  public void close() {
    if (this == OFF) {
      return;
    }
    closed = true;
    synchronized (startLock) {
      if (timer != null) {
        timer.close();
        workers.shutdownNow();
      }
    }
  }

  @Override
  public String toString() {
    return "Hedging["
        + (enabled ? "on, " + minDelay / 1_000_000 + ".." + maxDelay / 1_000_000 + " ms" : "off")
        + ", deadline "
        + (deadline == 0 ? "none" : deadline / 1_000_000 + " ms")
        + "]";
  }
}
