package dev.keyring.client.channel;

import dev.keyring.protocol.wire.ClusterPosition;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A client's read-your-writes position on one cluster: the highest log position the members
 * reported on the answers to its acknowledged writes (and to its reads from the primary). A wire
 * implementation of {@link MemberChannel} sends it with every call ({@code Keyring-Min-Position}),
 * so that a member that does not hold it yet waits for it, or refuses the call with
 * CKR_MEMBER_BEHIND, which {@link CallKind} sends to the primary; and it raises it from every
 * answer that reports a position ({@code Keyring-Log-Position}). One per cluster, shared by the
 * channels to all its members.
 *
 * <p>The position only grows (by sequence: sequences keep growing across epochs). It belongs to one
 * cluster: the first the client learns of (its cluster view, else the first position reported);
 * positions of another cluster are ignored. Thread-safe, without locks.
 */
public final class ReadYourWrites {
  private final AtomicReference<UUID> cluster = new AtomicReference<>();
  private final AtomicReference<ClusterPosition> highest = new AtomicReference<>();

  /** Binds the position to {@code clusterId} unless it is bound already; true if it is now. */
  public boolean bindTo(UUID clusterId) {
    Objects.requireNonNull(clusterId, "clusterId");
    return cluster.compareAndSet(null, clusterId) || clusterId.equals(cluster.get());
  }

  /** The cluster the position belongs to, or null before the client learnt it. */
  public UUID clusterId() {
    return cluster.get();
  }

  /**
   * Raises the position to {@code reported} if that is further on.
   *
   * @return false when {@code reported} is of another cluster (ignored)
   */
  public boolean advance(ClusterPosition reported) {
    Objects.requireNonNull(reported, "reported");
    if (!bindTo(reported.clusterId())) {
      return false;
    }
    ClusterPosition current;
    do {
      current = highest.get();
      if (current != null && current.atOrPast(reported)) {
        return true;
      }
    } while (!highest.compareAndSet(current, reported));
    return true;
  }

  /** The position to send, or null before any was reported. */
  public ClusterPosition current() {
    return highest.get();
  }

  @Override
  public String toString() {
    ClusterPosition p = highest.get();
    return "ReadYourWrites[" + (p == null ? "none" : p.toString()) + "]";
  }
}
