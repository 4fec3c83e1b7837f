package dev.keyring.testing.channel;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The physical sessions one {@link FakeMember} holds, by id: opened under the id the client picked
 * or one the member numbers, closed, looked up, or all forgotten (a restart). Thread-safe.
 */
final class FakeSessionTable {
  private final String member;
  private final Map<String, FakeSession> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger numbers = new AtomicInteger();

  FakeSessionTable(String member) {
    this.member = member;
  }

  /** A new session on {@code keyring} under {@code id} (null: the member numbers one). */
  FakeSession open(String id, FakeKeyring keyring) {
    String sid = id != null ? id : member + "-s" + numbers.incrementAndGet();
    FakeSession s = new FakeSession(sid, keyring);
    if (sessions.putIfAbsent(sid, s) != null) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "that session id is taken");
    }
    return s;
  }

  void close(String id) {
    if (id == null || sessions.remove(id) == null) {
      throw lost();
    }
  }

  /** The open session {@code id}; CKR_SESSION_HANDLE_INVALID when there is none. */
  FakeSession get(String id) {
    FakeSession s = id == null ? null : sessions.get(id);
    if (s == null) {
      throw lost();
    }
    return s;
  }

  void clear() {
    sessions.clear();
  }

  int size() {
    return sessions.size();
  }

  private HsmException lost() {
    return new HsmException(
        ResultCode.CKR_SESSION_HANDLE_INVALID,
        "no open session of this client on "
            + member
            + " has that id (closed, expired, or never opened)");
  }
}
