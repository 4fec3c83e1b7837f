package dev.keyring.testing.leak;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The members a test started, each watched for the crypto sessions it holds open. Whatever starts a
 * member (the cluster harness, a test's member fixture) registers a {@link Watch} and closes it
 * just before the member stops, after the test closed its clients: that last reading is what {@link
 * SessionLeakCheck} judges. A member still running when the test ends is read then.
 */
public final class SessionLeaks {
  /**
   * The system property that sets, in milliseconds, how long sessions a client just closed may take
   * to end on the member before they count as leaked: 5,000 when unset. Tests of the check itself
   * set it low, since a leak they provoke is waited out in full.
   */
  public static final String GRACE_PROPERTY = "keyring.leakcheck.graceMillis";

  private static final List<Watch> WATCHES = new ArrayList<>();

  private SessionLeaks() {}

  /**
   * Watches a member whose open crypto sessions {@code openSessions} counts (a negative count: the
   * member is down, no reading).
   */
  public static Watch watch(String what, IntSupplier openSessions) {
    Watch w = new Watch(what, openSessions);
    synchronized (WATCHES) {
      WATCHES.add(w);
    }
    return w;
  }

  /** How many watches exist: a scope begins there. */
  static int mark() {
    synchronized (WATCHES) {
      return WATCHES.size();
    }
  }

  /** Removes and returns the watches registered since {@code mark}. */
  static List<Watch> since(int mark) {
    synchronized (WATCHES) {
      List<Watch> tail = WATCHES.subList(Math.min(mark, WATCHES.size()), WATCHES.size());
      List<Watch> out = new ArrayList<>(tail);
      tail.clear();
      return out;
    }
  }

  /** One watched member. */
  public static final class Watch implements AutoCloseable {
    private final String what;
    private final IntSupplier openSessions;
    private volatile boolean closed;
    private volatile int last = -1;

    private Watch(String what, IntSupplier openSessions) {
      this.what = what;
      this.openSessions = openSessions;
    }

    public String what() {
      return what;
    }

    /**
     * The member is about to stop: takes the last reading (waiting a little for sessions that are
     * ending).
     */
    @Override
    public void close() {
      if (!closed) {
        last = settled();
        closed = true;
      }
    }

    /** The last reading if closed, else a reading now; negative when none could be taken. */
    int reading() {
      return closed ? last : settled();
    }

    private int settled() {
      long deadline =
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.getLong(GRACE_PROPERTY, 5_000));
      int n = read();
      while (n > 0 && System.nanoTime() < deadline) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return n;
        }
        n = read();
      }
      return n;
    }

    private int read() {
      try {
        return openSessions.getAsInt();
      } catch (RuntimeException unreachable) {
        return -1; // the member is not answering: no reading
      }
    }
  }
}
