package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The member-wide budget of memory held for clients' data: the input multi-part operations gather,
 * request bodies over {@link BodyReader#FREE_BYTES} while they arrive and are handled, and the
 * answers of multi-part encrypt and decrypt while they are written. Every holder reserves before it
 * holds and releases when it lets go; a reservation that would pass the limit is refused and
 * changes nothing, so one client's large uploads cannot exhaust the heap and every small request
 * still gets through. Thread-safe.
 */
public final class BufferBudget {
  /** A budget nothing is refused by: for calls between members, which clients cannot make. */
  static final BufferBudget UNBOUNDED = new BufferBudget(Long.MAX_VALUE);

  private final long limit;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();

  BufferBudget(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("the buffer budget must be positive, got " + limit);
    }
    this.limit = limit;
  }

  /** Reserves {@code bytes} if they fit; false (and nothing reserved) otherwise. */
  boolean tryReserve(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative reservation " + bytes);
    }
    while (true) {
      long now = used.get();
      long next = now + bytes;
      if (next > limit || next < 0) {
        return false;
      }
      if (used.compareAndSet(now, next)) {
        peak.accumulateAndGet(next, Math::max);
        return true;
      }
    }
  }

  /**
   * Reserves {@code bytes} or refuses with {@code CKR_DEVICE_MEMORY}; {@code what} names the
   * request in the message.
   */
  void reserve(long bytes, String what) {
    if (!tryReserve(bytes)) {
      throw refusal(what);
    }
  }

  static HsmException refusal(String what) {
    return new HsmException(
        ResultCode.CKR_DEVICE_MEMORY,
        "the member holds as much client data as it may ("
            + what
            + " refused); try again later or send less at once");
  }

  void release(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative release " + bytes);
    }
    if (bytes > 0) {
      long after = used.addAndGet(-bytes);
      if (after < 0) {
        throw new IllegalStateException("released more than was reserved: " + after);
      }
    }
  }

  /** Bytes reserved now. */
  public long used() {
    return used.get();
  }

  /** The most ever reserved at once. */
  public long peak() {
    return peak.get();
  }

  /** The limit in bytes. */
  public long limit() {
    return limit;
  }
}
