package dev.keyring.testing.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How a {@link FakeMember}'s calls cross the wire: the faults armed on it (down, the next call or
 * write failing, read-only), the consistency rules of its {@link FakeReplica}, and the count of
 * calls that reached it.
 */
final class FakeWire {
  private final String name;
  private final FakeReplica replica;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, FakeHold> holds = new ConcurrentHashMap<>();
  final AtomicBoolean cutOffNextWrite = new AtomicBoolean();
  final AtomicReference<TransportException.Kind> failNext = new AtomicReference<>();
  volatile boolean down;
  volatile boolean readOnly;

  FakeWire(String name, FakeReplica replica) {
    this.name = name;
    this.replica = replica;
  }

  int calls() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  int calls(String method) {
    AtomicInteger n = calls.get(method);
    return n == null ? 0 : n.get();
  }

  /** The answer of the next call of {@code method} is held ({@link FakeHold}). */
  FakeHold holdNext(String method) {
    FakeHold h = new FakeHold(method);
    holds.put(method, h);
    return h;
  }

  /** What one call does on the member. */
  @FunctionalInterface
  interface Served<T> {
    T run();
  }

  /**
   * Serves one call: refused at once while down or when a failure before sending is armed; else
   * counted and carried out (refused by a member behind the client or not the primary a {@code
   * primaryOnly} call needs, a write refused on a read-only member), its answer lost when a failure
   * after sending, or a cut off of the next write, is armed for it, or held when a {@link FakeHold}
   * is.
   */
  <T> T serve(String method, boolean write, boolean primaryOnly, Served<T> call)
      throws TransportException {
    if (down) {
      throw new TransportException(
          TransportException.Kind.CONNECT, name + ": connection refused (the member is down)");
    }
    TransportException.Kind failure = failNext.getAndSet(null);
    boolean answerLost =
        failure == TransportException.Kind.IO || failure == TransportException.Kind.PROTOCOL;
    if (failure != null && !answerLost) {
      throw new TransportException(
          failure, name + ": " + method + " failed (" + failure + ") before it reached the member");
    }
    calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
    if (write && cutOffNextWrite.getAndSet(false)) {
      answerLost = true;
      failure = TransportException.Kind.IO;
    }
    T answer;
    try {
      replica.check(method, primaryOnly);
      if (write && readOnly) {
        throw new HsmException(
            ResultCode.CKR_TOKEN_WRITE_PROTECTED,
            name + " is read-only (it does not reach the primary); write through another member");
      }
      answer = call.run();
    } catch (HsmException refused) {
      if (answerLost) {
        throw lostAnswer(method, failure);
      }
      throw refused;
    }
    if (answerLost) {
      throw lostAnswer(method, failure);
    }
    FakeHold hold = holds.remove(method);
    if (hold != null && !hold.hold()) {
      throw new TransportException(
          TransportException.Kind.IO,
          name + ": " + method + " was carried out, then abandoned before its answer came");
    }
    if (write || primaryOnly) {
      replica.answered(write);
    }
    return answer;
  }

  /** The failure of a call the member carried out, whose answer did not come back readable. */
  private TransportException lostAnswer(String method, TransportException.Kind kind) {
    return new TransportException(
        kind,
        kind == TransportException.Kind.IO
            ? name + ": the connection broke after " + method + " was sent, before its answer came"
            : name + ": the answer to " + method + " is not in the wire format");
  }
}
