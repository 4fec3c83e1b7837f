package dev.keyring.sim.channel;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.channel.Opcode;

/**
 * The memory one channel connection holds for its client: the frames of its requests from when they
 * are admitted until they are served, a bound on each answer until the answer exists, then the
 * answer until it has been written. The first {@link #FREE_BYTES} are the connection's own; what is
 * held beyond is borrowed from the member's memory budget ({@link ChannelService#tryHold}) and
 * given back as the connection lets go, so that all connections together hold at most the budget
 * plus {@code maxConnections} times {@link #FREE_BYTES}, however many requests their clients send
 * and however slowly they read. A request that would pass that is refused (CKR_DEVICE_MEMORY)
 * before it is served; an answer larger than the bound its request was admitted with borrows the
 * rest, and when it cannot, a read's answer is refused in its turn and a write's is held anyway
 * (see {@link #hold}). Thread-safe: the reader, the workers and the writer all count here.
 */
final class HeldBytes {
  /** What a connection holds without borrowing: one frame of the largest kind read unasked. */
  static final long FREE_BYTES = ChannelConnection.FREE_FRAME_BYTES;

  /**
   * The bound an answer of the {@code JSON} opcode is admitted with beyond its request's size (a
   * REST answer: 64 KiB of random bytes as JSON, a page of handles; a write's answer repeats at
   * most the attributes its request carried, in the same encoding).
   */
  static final long JSON_ANSWER_BYTES = 128 << 10;

  /** What a hot answer holds beyond its request's size: a signature, a tag, padding, a header. */
  static final long ANSWER_OVERHEAD_BYTES = 1 << 10;

  private final ChannelService budget;
  private long held; // guarded by this
  private long borrowed; // guarded by this
  private boolean closed; // guarded by this

  HeldBytes(ChannelService budget) {
    this.budget = budget;
  }

  /**
   * The most the answer to a request of {@code op} whose frame has {@code frameBytes} is held with
   * until it exists: for {@code JSON} a REST answer's bound and the frame's size, else the frame's
   * size (an encryption's output is about its input) and {@link #ANSWER_OVERHEAD_BYTES}.
   */
  static long answerBound(Opcode op, long frameBytes) {
    return op == Opcode.JSON ? JSON_ANSWER_BYTES + frameBytes : frameBytes + ANSWER_OVERHEAD_BYTES;
  }

  /**
   * Holds {@code bytes} more if the connection's own share and the member's budget can take them;
   * false (nothing held) otherwise, and always once the connection is closed.
   */
  synchronized boolean tryAdd(long bytes) {
    if (closed) {
      return false;
    }
    long over = held + bytes - FREE_BYTES - borrowed;
    if (over > 0) {
      if (!budget.tryHold(over)) {
        return false;
      }
      borrowed += over;
    }
    held += bytes;
    return true;
  }

  /**
   * Holds {@code bytes} more, borrowing what can be borrowed and holding the rest anyway (memory
   * already taken, such as an answer that came out larger than its bound).
   */
  synchronized void add(long bytes) {
    held += bytes;
    if (closed) {
      return;
    }
    long over = held - FREE_BYTES - borrowed;
    if (over > 0 && budget.tryHold(over)) {
      borrowed += over;
    }
  }

  /** Lets go of {@code bytes}, giving back to the budget what is no longer borrowed. */
  synchronized void remove(long bytes) {
    if (bytes > held) {
      throw new IllegalStateException(
          "a channel connection let go of " + bytes + " bytes, more than it held: " + held);
    }
    held -= bytes;
    long excess = borrowed - Math.max(0, held - FREE_BYTES);
    if (excess > 0) {
      borrowed -= excess;
      budget.release(excess);
    }
  }

  /**
   * Request {@code r}, held with {@code admitted} bytes, has its {@code answer}: holds the answer
   * in their place and returns the frame to send. An answer larger than that borrows the rest; when
   * the budget cannot lend it, the answer of a read ({@link ChannelService#answerMayBeDropped}) is
   * dropped for a refusal (CKR_DEVICE_MEMORY) that the client may try again after, and any other is
   * held anyway (a write's answer is never lost) and the connection's next request pays for it.
   */
  byte[] hold(ChannelRequest r, long admitted, byte[] answer) {
    if (answer.length <= admitted) {
      remove(admitted - answer.length);
      return answer;
    }
    if (tryAdd(answer.length - admitted)) {
      return answer;
    }
    if (!budget.answerMayBeDropped(r)) {
      add(answer.length - admitted);
      return answer;
    }
    byte[] refused =
        ChannelCodec.refused(
            r.id,
            r.opcode,
            ResultCode.CKR_DEVICE_MEMORY.value(),
            "the answer ("
                + answer.length
                + " bytes) is more than the member may hold for this connection now; read the"
                + " answers under way, try again later or ask for less (a narrower template)");
    if (refused.length <= admitted) {
      remove(admitted - refused.length);
    } else {
      add(refused.length - admitted); // a few hundred bytes, for a request admitted with less
    }
    return refused;
  }

  /** Gives back everything borrowed: the connection is closed and holds nothing that counts. */
  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (borrowed > 0) {
      budget.release(borrowed);
      borrowed = 0;
    }
  }

  /** Bytes held now. */
  synchronized long held() {
    return held;
  }

  /**
   * Bytes held now beyond what is borrowed (at most {@link #FREE_BYTES} but for a write's answer
   * larger than its bound); 0 once closed.
   */
  synchronized long own() {
    return closed ? 0 : held - borrowed;
  }

  /** Bytes borrowed from the member's budget now. */
  synchronized long borrowed() {
    return borrowed;
  }
}
