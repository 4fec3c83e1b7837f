package dev.keyring.testing.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Latencies of a good client's requests: counted and summarized, never asserted on. */
public final class Latencies {
  private final String name;
  private final List<Long> nanos = new ArrayList<>();
  private final long created = System.nanoTime();
  private long slowest = -1;
  private long slowestAt;
  private int failures;

  public Latencies(String name) {
    this.name = name;
  }

  public synchronized void ok(long elapsedNanos) {
    nanos.add(elapsedNanos);
    if (elapsedNanos > slowest) {
      slowest = elapsedNanos;
      slowestAt = System.nanoTime() - elapsedNanos - created;
    }
  }

  public synchronized void failed() {
    failures++;
  }

  public synchronized int count() {
    return nanos.size();
  }

  public synchronized int failures() {
    return failures;
  }

  /** The {@code q}-quantile in milliseconds (0 when nothing was recorded). */
  public synchronized double quantileMillis(double q) {
    if (nanos.isEmpty()) {
      return 0;
    }
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
  }

  @Override
  public synchronized String toString() {
    return String.format(
        Locale.ROOT,
        "%s: %d ok, %d failed, p50 %.1f ms, p99 %.1f ms, max %.1f ms (sent at +%.1f s)",
        name,
        nanos.size(),
        failures,
        quantileMillis(0.50),
        quantileMillis(0.99),
        quantileMillis(1.0),
        slowestAt / 1e9);
  }
}
