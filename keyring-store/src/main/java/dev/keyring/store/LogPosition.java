package dev.keyring.store;

import java.util.Comparator;

/**
 * A place in a store's replication log: the entry's sequence number (1, 2, 3, ... with no gaps) and
 * the epoch of the primary that appended it.
 *
 * @param epoch the epoch of the primary that appended the entry (0 for {@link #ZERO})
 * @param sequence the entry's sequence number (0 for {@link #ZERO}: before the first entry)
 */
public record LogPosition(long epoch, long sequence) implements Comparable<LogPosition> {
  /** Before the first entry: an empty log. */
  public static final LogPosition ZERO = new LogPosition(0, 0);

  private static final Comparator<LogPosition> ORDER =
      Comparator.comparingLong(LogPosition::sequence).thenComparingLong(LogPosition::epoch);

  /** Checks that neither number is negative. */
  public LogPosition {
    if (epoch < 0 || sequence < 0) {
      throw new IllegalArgumentException(
          "a log position's epoch and sequence must be >= 0, got epoch "
              + epoch
              + " sequence "
              + sequence);
    }
  }

  /** By sequence, then by epoch. */
  @Override
  public int compareTo(LogPosition other) {
    return ORDER.compare(this, other);
  }

  /** "epoch/sequence". */
  @Override
  public String toString() {
    return epoch + "/" + sequence;
  }
}
