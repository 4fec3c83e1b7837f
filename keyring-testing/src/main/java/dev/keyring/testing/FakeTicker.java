package dev.keyring.testing;

import dev.keyring.protocol.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when a test says so. Both clocks start at fixed values and
 * advance together by {@link #advance(Duration)}.
 */
public final class FakeTicker implements Ticker {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicLong millis;

  /** A ticker whose wall clock starts at 2026-01-01T00:00:00Z. */
  public FakeTicker() {
    this(1_767_225_600_000L);
  }

  public FakeTicker(long wallClockMillis) {
    this.millis = new AtomicLong(wallClockMillis);
  }

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public long currentTimeMillis() {
    return millis.get();
  }

  /** Moves both clocks forward by {@code d} (not backward: a monotonic clock never goes back). */
  public void advance(Duration d) {
    Objects.requireNonNull(d, "d");
    if (d.isNegative()) {
      throw new IllegalArgumentException("time only moves forward, got " + d);
    }
    nanos.addAndGet(d.toNanos());
    millis.addAndGet(d.toMillis());
  }

  @Override
  public String toString() {
    return "FakeTicker[nanos=" + nanos.get() + ", millis=" + millis.get() + "]";
  }
}
