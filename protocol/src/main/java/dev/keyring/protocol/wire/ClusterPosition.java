package dev.keyring.protocol.wire;

import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A place in one cluster's replication log, as the crypto API's consistency headers carry it
 * ({@link CryptoHeaders}): {@code <epoch>.<sequence>@<cluster id>}, for example {@code
 * 3.42@1b4e28ba-2fa1-11d2-883f-0016d3cca427}. Positions are compared by sequence alone: sequences
 * keep growing across epochs. A position names its cluster, so that a client never carries one
 * cluster's position to another.
 *
 * @param clusterId the cluster whose log this is
 * @param epoch the epoch of the primary that appended the entry
 * @param sequence the entry's sequence number (0: before the first entry)
 */
public record ClusterPosition(UUID clusterId, long epoch, long sequence) {
  private static final Pattern SYNTAX =
      Pattern.compile(
          "(\\d{1,18})\\.(\\d{1,18})@([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
              + "-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})");

  /** Checks that the cluster is named and neither number is negative. */
  public ClusterPosition {
    Objects.requireNonNull(clusterId, "clusterId");
    if (epoch < 0 || sequence < 0) {
      throw new IllegalArgumentException(
          "a log position's epoch and sequence must be >= 0, got " + epoch + "." + sequence);
    }
  }

  /**
   * The position a header value spells.
   *
   * @throws IllegalArgumentException if {@code value} is not {@code <epoch>.<sequence>@<cluster
   *     id>}; the message does not repeat the value
   */
  public static ClusterPosition parse(String value) {
    Matcher m = value == null ? null : SYNTAX.matcher(value.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException(
          "a log position is <epoch>.<sequence>@<cluster id> (for example 3.42@"
              + "1b4e28ba-2fa1-11d2-883f-0016d3cca427)");
    }
    return new ClusterPosition(
        UUID.fromString(m.group(3)), Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
  }

  /** Whether this position is at or past {@code other} in the log (by sequence). */
  public boolean atOrPast(ClusterPosition other) {
    return sequence >= other.sequence;
  }

  /** The header value: {@code <epoch>.<sequence>@<cluster id>}. */
  @Override
  public String toString() {
    return epoch + "." + sequence + "@" + clusterId;
  }
}
