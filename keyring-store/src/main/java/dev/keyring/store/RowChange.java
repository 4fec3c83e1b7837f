package dev.keyring.store;

import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * One row's change in a replicated table: its image before and after. {@code before == null} means
 * the row was inserted, {@code after == null} that it was deleted; both are never null together in
 * a {@link ChangeSet}.
 */
public sealed interface RowChange
    permits RowChange.KeyringRow, RowChange.ObjectRow, RowChange.ClusterValue {

  /** Whether the row was inserted (no before-image). */
  default boolean isInsert() {
    return before() == null;
  }

  /** Whether the row was deleted (no after-image). */
  default boolean isDelete() {
    return after() == null;
  }

  /** The row's image before the change, or null. */
  Object before();

  /** The row's image after the change, or null. */
  Object after();

  /** A row of {@code keyrings}, by id. */
  record KeyringRow(UUID id, KeyringRecord before, KeyringRecord after) implements RowChange {
    /** Checks that the images are of the row {@code id}. */
    public KeyringRow {
      Objects.requireNonNull(id, "id");
      if (before != null && !before.id().equals(id) || after != null && !after.id().equals(id)) {
        throw new IllegalArgumentException("the images of keyring row " + id + " name another id");
      }
    }
  }

  /** A row of {@code objects}, by keyring and handle. */
  record ObjectRow(UUID keyringId, long handle, ObjectRecord before, ObjectRecord after)
      implements RowChange {
    /** Checks that the images are of the row ({@code keyringId}, {@code handle}). */
    public ObjectRow {
      Objects.requireNonNull(keyringId, "keyringId");
      if (before != null && !(before.keyringId().equals(keyringId) && before.handle() == handle)
          || after != null && !(after.keyringId().equals(keyringId) && after.handle() == handle)) {
        throw new IllegalArgumentException(
            "the images of object row "
                + handle
                + " of keyring "
                + keyringId
                + " name another row");
      }
    }
  }

  /** A row of {@code cluster_values}, by name. The arrays are copied in and out. */
  record ClusterValue(String name, byte[] before, byte[] after) implements RowChange {
    /** Checks the name and copies the arrays. */
    public ClusterValue {
      Objects.requireNonNull(name, "name");
      before = before == null ? null : before.clone();
      after = after == null ? null : after.clone();
    }

    /** A copy of the value before, or null. */
    @Override
    public byte[] before() {
      return before == null ? null : before.clone();
    }

    /** A copy of the value after, or null. */
    @Override
    public byte[] after() {
      return after == null ? null : after.clone();
    }

    /** Equal when the name and both values (by content) are. */
    @Override
    public boolean equals(Object o) {
      return o instanceof ClusterValue v
          && name.equals(v.name)
          && Arrays.equals(before, v.before)
          && Arrays.equals(after, v.after);
    }

    /** Consistent with {@link #equals}. */
    @Override
    public int hashCode() {
      return (name.hashCode() * 31 + Arrays.hashCode(before)) * 31 + Arrays.hashCode(after);
    }

    /** The name and the values' lengths, not their bytes. */
    @Override
    public String toString() {
      return "ClusterValue["
          + name
          + " "
          + (before == null ? "-" : before.length + " bytes")
          + " -> "
          + (after == null ? "-" : after.length + " bytes")
          + "]";
    }
  }
}
