package dev.keyring.sim.server;

import org.eclipse.jetty.util.Callback;

/**
 * What one request holds of the {@link BufferBudget}: its body while it is handled, and what it
 * took over (the input of a multi-part operation it finished). All of it goes back when the answer
 * has been written, or has failed to be, through {@link #releasing(Callback)}.
 */
final class Lease {
  private final BufferBudget budget;
  private long held;

  Lease(BufferBudget budget) {
    this.budget = budget;
  }

  /** Reserves {@code bytes} more if the budget has them. */
  synchronized boolean tryReserve(long bytes) {
    if (!budget.tryReserve(bytes)) {
      return false;
    }
    held += bytes;
    return true;
  }

  /**
   * Holds {@code bytes} already reserved in {@code from} (a finished operation's input); a
   * reservation in another budget is released at once instead.
   */
  synchronized void takeOver(long bytes, BufferBudget from) {
    if (from == budget) {
      held += bytes;
    } else {
      from.release(bytes);
    }
  }

  synchronized void release(long bytes) {
    long n = Math.min(bytes, held);
    held -= n;
    budget.release(n);
  }

  synchronized void releaseAll() {
    budget.release(held);
    held = 0;
  }

  synchronized long held() {
    return held;
  }

  /** {@code callback}, releasing everything held first when the request completes. */
  Callback releasing(Callback callback) {
    return new Callback() {
      @Override
      public void succeeded() {
        releaseAll();
        callback.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        releaseAll();
        callback.failed(x);
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
  }
}
