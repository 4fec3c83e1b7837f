package dev.keyring.sim;

import dev.keyring.protocol.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A ticker that moves only when a test advances it. keyring-testing's {@code FakeTicker} cannot be
 * used here: that module depends on cluster-client, whose tests depend on this module, and Maven
 * allows no cycle between modules.
 */
public final class FakeTicker implements Ticker {
  private final AtomicLong elapsedNanos = new AtomicLong();

  @Override
  public long nanoTime() {
    return elapsedNanos.get();
  }

  @Override
  public long currentTimeMillis() {
    return 1_767_225_600_000L + elapsedNanos.get() / 1_000_000;
  }

  /** Moves the ticker forward by {@code d}. */
  public void advance(Duration d) {
    elapsedNanos.addAndGet(d.toNanos());
  }
}
