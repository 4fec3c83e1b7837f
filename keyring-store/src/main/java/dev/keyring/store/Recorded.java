package dev.keyring.store;

import java.util.Objects;

/**
 * What a recorded write ({@link KeyringStore#writeAsPrimary}, {@link KeyringStore#speculate}) gave.
 *
 * @param result what the work function returned (may be null)
 * @param changes the rows it changed
 * @param entry the log entry holding {@code changes}, or null when nothing was logged (no change,
 *     or a speculation)
 * @param <T> the result's type
 */
public record Recorded<T>(T result, ChangeSet changes, LogEntry entry) {
  /** Checks that the change set is not null. */
  public Recorded {
    Objects.requireNonNull(changes, "changes");
  }
}
