package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;

/**
 * The attempt of a routed call running on the current thread, as recovery sees it: recovery may
 * abandon it (another member answered first, or its member did not answer by the deadline), and a
 * {@link MemberChannel} that waits on the wire registers here how to stop waiting ({@link
 * #onAbandon}); the HTTP transport cancels its exchange, which closes the connection. A channel
 * that registers nothing is simply waited for.
 *
 * <p>Outside an attempt recovery runs, {@link #current()} is a scope that is never abandoned.
 * Thread-safe.
 */
public final class AttemptScope {
  /** Why an attempt was abandoned. */
  enum Abandoned {
    NOT,
    /** Another member answered the call: this one is only slow. */
    ANSWERED_ELSEWHERE,
    /** The member did not answer by the deadline: it is marked down. */
    NO_ANSWER
  }

  private static final ThreadLocal<AttemptScope> CURRENT = new ThreadLocal<>();
  private static final AttemptScope NONE = new AttemptScope();

  private volatile Runnable stop;
  private volatile Abandoned state = Abandoned.NOT;

  AttemptScope() {}

  /** The attempt running on this thread. */
  public static AttemptScope current() {
    AttemptScope s = CURRENT.get();
    return s == null ? NONE : s;
  }

  /**
   * {@code stop} ends the wait on the wire of the exchange under way when the attempt is abandoned
   * (it replaces the action registered before: one exchange at a time); run at once if it already
   * was.
   */
  public void onAbandon(Runnable stop) {
    if (this == NONE) {
      return;
    }
    this.stop = stop;
    if (state != Abandoned.NOT) {
      stop.run();
    }
  }

  /** Whether recovery may abandon this attempt (false outside an attempt recovery runs). */
  boolean abandonable() {
    return this != NONE;
  }

  /** Whether recovery gave up waiting for this attempt. */
  public boolean abandoned() {
    return state != Abandoned.NOT;
  }

  /**
   * Whether the attempt was abandoned because its member did not answer by the deadline (its other
   * connections are suspect too), rather than because another member answered first.
   */
  public boolean memberSuspect() {
    return state == Abandoned.NO_ANSWER;
  }

  /** Abandons the attempt: the registered action runs (at most once more). */
  void abandon(Abandoned why) {
    if (state != Abandoned.NOT) {
      return;
    }
    state = why;
    Runnable s = stop;
    if (s != null) {
      s.run();
    }
  }

  /** Runs {@code attempt} on this thread as this scope's attempt. */
  <T> T run(RecoveryLoop.Attempt<T> attempt) throws TransportException {
    AttemptScope previous = CURRENT.get();
    CURRENT.set(this);
    try {
      return attempt.run();
    } finally {
      // set, not remove, when there was none: the thread's entry stays for its next call (a
      // remove and a new entry per call were measurable on the channel's hot path)
      CURRENT.set(previous);
    }
  }
}
