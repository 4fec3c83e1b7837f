package dev.keyring.testing.channel;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ClusterPosition;
import java.util.Set;

/**
 * How far one fake member is in its cluster's log, and the read-your-writes rules of a member over
 * it: caught up (it holds every write, as every live member holds an acknowledged one), or lagging
 * at the position where it stopped applying. A member behind the client's position refuses with
 * CKR_MEMBER_BEHIND, before doing anything (a real member waits 500 ms first; the fake does not
 * wait), and only the primary answers what must be read there. The answers to writes and to reads
 * from the primary raise the client's position, as {@code Keyring-Log-Position} does on the wire. A
 * write through a lagging member brings it up to that write (entries are applied in order).
 */
final class FakeReplica {
  /** Calls a member serves without the client's position: they stay where they started. */
  private static final Set<String> EXEMPT =
      Set.of("health", "closeSession", "logout", "operationPart");

  private final FakeCluster cluster;
  private final FakeMember member;
  // -1: the member follows the head of the log
  private volatile long stoppedAt = -1;

  FakeReplica(FakeCluster cluster, FakeMember member) {
    this.cluster = cluster;
    this.member = member;
  }

  /** The last log position the member holds. */
  long position() {
    long s = stoppedAt;
    return s < 0 ? cluster.head() : s;
  }

  /** The position reads on the member see the keyrings at. */
  long readAt() {
    long s = stoppedAt;
    return s < 0 ? Long.MAX_VALUE : s;
  }

  boolean lagging() {
    return stoppedAt >= 0;
  }

  void lag() {
    if (member.isPrimary()) {
      throw new IllegalStateException(
          member.name() + " is the primary, which holds every write: make another member primary");
    }
    stoppedAt = cluster.head();
  }

  void catchUp() {
    stoppedAt = -1;
  }

  /** Before {@code method} is served: refuses it when the member cannot answer it consistently. */
  void check(String method, boolean primaryOnly) {
    if (member.isPrimary() || EXEMPT.contains(method)) {
      return;
    }
    if (primaryOnly) {
      throw new HsmException(
          ResultCode.CKR_MEMBER_BEHIND,
          member.name()
              + " is not the primary ("
              + cluster.primary().name()
              + " is): this request is decided on the primary");
    }
    ClusterPosition wanted = cluster.clientPosition();
    long held = position();
    if (wanted != null && held < wanted.sequence()) {
      throw new HsmException(
          ResultCode.CKR_MEMBER_BEHIND,
          member.name()
              + " holds the log up to "
              + held
              + ", behind the client's last write at "
              + wanted.sequence()
              + "; nothing was done");
    }
  }

  /** After a write, or a read from the primary, was answered: the client learns the position. */
  void answered(boolean write) {
    if (write && stoppedAt >= 0) {
      stoppedAt = Math.max(stoppedAt, cluster.head());
    }
    cluster.reported(position());
  }
}
