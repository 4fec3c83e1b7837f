package dev.keyring.store;

import java.util.List;
import java.util.Objects;

/**
 * The row changes of one transaction, one per row, in the order the rows were first touched.
 *
 * @param changes the changes (an unmodifiable copy)
 */
public record ChangeSet(List<RowChange> changes) {
  /** No change. */
  public static final ChangeSet EMPTY = new ChangeSet(List.of());

  /** Copies the list; no element may be null. */
  public ChangeSet {
    Objects.requireNonNull(changes, "changes");
    changes = List.copyOf(changes);
  }

  /** Whether the transaction changed nothing. */
  public boolean isEmpty() {
    return changes.isEmpty();
  }
}
