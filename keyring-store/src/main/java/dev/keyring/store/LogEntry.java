package dev.keyring.store;

import java.util.Objects;

/**
 * One entry of the replication log: where it is and the change set it applies.
 *
 * @param position its epoch and sequence
 * @param changes what it changes
 */
public record LogEntry(LogPosition position, ChangeSet changes) {
  /** Checks that neither component is null. */
  public LogEntry {
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(changes, "changes");
  }
}
