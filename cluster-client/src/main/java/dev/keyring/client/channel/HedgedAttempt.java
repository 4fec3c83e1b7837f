package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One attempt of a repeatable read under {@link Hedging}: the first member's attempt runs on the
 * calling thread; a timer sends the hedge (on a hedge thread) after the hedge delay and abandons
 * the first attempt at the deadline. The first answer wins: a result, or a refusal other than
 * CKR_MEMBER_BEHIND (which says the member did nothing); the other attempt is abandoned. When both
 * fail, the first member's failure is thrown with the second's attached, and the recovery loop goes
 * on from there with both members tried. A member whose attempt failed on the wire is marked down,
 * as the loop does.
 */
final class HedgedAttempt<T> {
  /** An attempt's end: a value or a failure (a TransportException or a RuntimeException). */
  private record Outcome<T>(T value, Exception failure) {
    boolean ok() {
      return failure == null;
    }
  }

  private final Hedging policy;
  private final MemberRouter router;
  private final RoutedMember first;
  private final List<RoutedMember> tried;
  private final List<RoutedMember> exclude;
  private final CallKind kind;
  private final String what;
  private final RecoveryLoop.MemberCall<T> call;
  private final AttemptScope firstScope = new AttemptScope();
  private final AttemptScope secondScope = new AttemptScope();
  private final CompletableFuture<Outcome<T>> secondOutcome = new CompletableFuture<>();
  private final Object lock = new Object();
  // guarded by lock
  private boolean firstDone;
  private boolean firstAbandoned;
  private boolean secondWon;
  private RoutedMember second;
  private long secondStart;
  private CoarseTimer.Armed timer; // the one armed now: the hedge's or the deadline's

  HedgedAttempt(
      Hedging policy,
      MemberRouter router,
      RoutedMember first,
      List<RoutedMember> tried,
      CallKind kind,
      String what,
      RecoveryLoop.MemberCall<T> call) {
    this.policy = policy;
    this.router = router;
    this.first = first;
    this.tried = tried;
    this.exclude = new ArrayList<>(tried);
    if (!exclude.contains(first)) {
      exclude.add(first);
    }
    this.kind = kind;
    this.what = what;
    this.call = call;
  }

  T run() throws TransportException {
    policy.earn();
    long start = policy.ticker().nanoTime();
    armFirstTimer();
    Outcome<T> o;
    try {
      o = new Outcome<>(firstScope.run(() -> call.apply(first)), null);
    } catch (TransportException | RuntimeException e) {
      o = new Outcome<>(null, e);
    }
    boolean won;
    boolean abandoned;
    RoutedMember s;
    CoarseTimer.Armed armed;
    synchronized (lock) {
      firstDone = true;
      won = secondWon;
      abandoned = firstAbandoned;
      s = second;
      armed = timer;
    }
    if (armed != null) {
      armed.cancel();
    }
    if (s != null && !tried.contains(s)) {
      tried.add(s);
    }
    if (o.ok() && !won) {
      policy.answered(what, policy.ticker().nanoTime() - start);
      secondScope.abandon(AttemptScope.Abandoned.ANSWERED_ELSEWHERE);
      return o.value();
    }
    Exception failure = abandoned ? noAnswer(first, o.failure()) : o.failure();
    if (won) {
      return unwrap(secondOutcome.join());
    }
    if (s == null || decisive(failure)) {
      secondScope.abandon(AttemptScope.Abandoned.ANSWERED_ELSEWHERE);
      throw rethrow(failure);
    }
    Outcome<T> other = awaitSecond(s);
    if (other != null && (other.ok() || decisive(other.failure()))) {
      if (!abandoned && failure instanceof TransportException) {
        TransportException e = (TransportException) failure;
        if (CallKind.memberFailure(e)) {
          router.markDown(first, e);
        }
      }
      return unwrap(other);
    }
    if (other != null) {
      failure.addSuppressed(other.failure());
    }
    throw rethrow(failure);
  }

  /**
   * Arms one timer for the earlier of the hedge (at the hedge delay, when hedging) and the deadline
   * (when there is one); when it goes off, the timer of the other is armed for what is left of its
   * delay, counted from the call's start, before the task runs. One timer armed and cancelled per
   * call rather than two: most calls end long before either.
   */
  private void armFirstTimer() {
    long armedAt = System.nanoTime(); // the timer's clock
    long hedgeAt = policy.hedges() ? policy.delayNanos(what) : -1;
    long deadlineAt = policy.deadlineNanos() > 0 ? policy.deadlineNanos() : -1;
    if (hedgeAt >= 0 && (deadlineAt < 0 || hedgeAt <= deadlineAt)) {
      arm(hedgeAt, () -> fire(armedAt, deadlineAt, this::firstDeadline, this::hedge));
    } else if (deadlineAt >= 0) {
      arm(deadlineAt, () -> fire(armedAt, hedgeAt, this::hedge, this::firstDeadline));
    }
  }

  /** The first timer went off: arms the other's ({@code nextAt} after {@code armedAt}), runs. */
  private void fire(long armedAt, long nextAt, Runnable next, Runnable task) {
    if (nextAt >= 0) {
      arm(Math.max(0, nextAt - (System.nanoTime() - armedAt)), next);
    }
    task.run();
  }

  private void arm(long nanos, Runnable task) {
    synchronized (lock) {
      if (firstDone) {
        return; // the call ended: nothing is armed after it
      }
      try {
        timer = policy.schedule(task, nanos);
      } catch (RejectedExecutionException closed) {
        // the client is closing: the attempt is made without hedge or deadline
      }
    }
  }

  /** Waits for the hedge, until its own deadline; null if it did not answer by then. */
  private Outcome<T> awaitSecond(RoutedMember s) throws TransportException {
    try {
      if (policy.deadlineNanos() == 0) {
        return secondOutcome.get();
      }
      long left;
      synchronized (lock) {
        left = secondStart + policy.deadlineNanos() - policy.ticker().nanoTime();
      }
      return secondOutcome.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      secondScope.abandon(AttemptScope.Abandoned.NO_ANSWER);
      TransportException none = noAnswer(s, null);
      router.markDown(s, none);
      return new Outcome<>(null, none);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      secondScope.abandon(AttemptScope.Abandoned.ANSWERED_ELSEWHERE);
      throw new TransportException(
          TransportException.Kind.INTERRUPTED, what + " was interrupted", e, true, false);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** The timer's hedge: the same call to a second member, if the first has not answered. */
  private void hedge() {
    synchronized (lock) {
      if (firstDone) {
        return;
      }
    }
    if (!router.isOpen() || !policy.spend()) {
      return;
    }
    RoutedMember s = router.select(false, exclude);
    if (s == null) {
      policy.refund();
      return;
    }
    synchronized (lock) {
      if (firstDone) {
        policy.refund();
        return;
      }
      second = s;
      secondStart = policy.ticker().nanoTime();
    }
    try {
      policy.execute(() -> runSecond(s));
    } catch (RejectedExecutionException closed) {
      secondOutcome.complete(
          new Outcome<>(
              null,
              new TransportException(
                  TransportException.Kind.IO, "the client is closing", null, false, false)));
    }
  }

  private void runSecond(RoutedMember s) {
    long start = policy.ticker().nanoTime();
    boolean answered = false;
    Outcome<T> o;
    s.begin();
    try {
      o = new Outcome<>(secondScope.run(() -> call.apply(s)), null);
      answered = true;
      policy.answered(what, policy.ticker().nanoTime() - start);
    } catch (HsmException e) {
      answered = true;
      o = new Outcome<>(null, e);
    } catch (TransportException | RuntimeException e) {
      o = new Outcome<>(null, e);
    } finally {
      s.end(answered);
    }
    boolean stopFirst = false;
    synchronized (lock) {
      if (!firstDone && (o.ok() || decisive(o.failure()))) {
        secondWon = true;
        stopFirst = true;
      }
    }
    if (!secondScope.abandoned()
        && o.failure() instanceof TransportException
        && CallKind.memberFailure((TransportException) o.failure())) {
      router.markDown(s, (TransportException) o.failure());
    }
    secondOutcome.complete(o);
    if (stopFirst) {
      firstScope.abandon(AttemptScope.Abandoned.ANSWERED_ELSEWHERE);
    }
  }

  /**
   * The timer at the deadline: the first member has not answered. When another member has the call
   * or can take it, the attempt is abandoned there and the member marked down; a member alone is
   * waited for.
   */
  private void firstDeadline() {
    RoutedMember s;
    synchronized (lock) {
      if (firstDone || secondWon) {
        return;
      }
      s = second;
    }
    if (s == null && router.select(false, exclude) == null) {
      return;
    }
    synchronized (lock) {
      if (firstDone || secondWon) {
        return;
      }
      firstAbandoned = true;
    }
    router.markDown(first, noAnswer(first, null));
    firstScope.abandon(AttemptScope.Abandoned.NO_ANSWER);
  }

  /** Whether the failure ends the call: anything but a wire failure or a member behind. */
  private boolean decisive(Exception e) {
    if (e instanceof HsmException) {
      return !kind.toPrimaryAfter(((HsmException) e).code());
    }
    return !(e instanceof TransportException && CallKind.memberFailure((TransportException) e));
  }

  private TransportException noAnswer(RoutedMember m, Exception cause) {
    return new TransportException(
        TransportException.Kind.IO,
        what
            + " on "
            + m.describe()
            + " had no answer within "
            + policy.deadlineNanos() / 1_000_000
            + " ms: abandoned there (its connection is closed) and the member marked down",
        cause,
        true,
        false);
  }

  private T unwrap(Outcome<T> o) throws TransportException {
    if (o.ok()) {
      return o.value();
    }
    throw rethrow(o.failure());
  }

  private static TransportException rethrow(Exception e) {
    if (e instanceof RuntimeException) {
      throw (RuntimeException) e;
    }
    return (TransportException) e;
  }
}
