package dev.keyring.benchmarks.wire;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What the echo servers share: whether they are closed, and the first failure met while open (a
 * failure after {@code close()} is the close's own doing and is not kept).
 */
abstract class FailureKeeper implements EchoServer {
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  /** Set by {@code close()} before anything is closed. */
  protected volatile boolean closed;

  @Override
  public Throwable failure() {
    return failure.get();
  }

  /** Keeps {@code t} when it is the first failure and the server is not closing. */
  protected void fail(Throwable t) {
    if (!closed) {
      failure.compareAndSet(null, t);
    }
  }
}
