package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The physical sessions this client let go on one member while routing had it marked down (a
 * logical session closed or logged out, a session given up): they are closed when the member
 * answers again, so that none stays open there, logged in, until the member's idle timeout. At most
 * {@link #MAX} wait, the sessions a member keeps open for one client; beyond that, and for a member
 * that never comes back, the idle timeout closes them.
 */
public final class DeferredCloses {
  /** The most sessions that wait for their member: as many as a member keeps open per client. */
  public static final int MAX = 256;

  private static final System.Logger LOG = System.getLogger(DeferredCloses.class.getName());

  private final ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicInteger rounds = new AtomicInteger();

  /** Keeps {@code sessionId} to close later; false when {@link #MAX} wait already. */
  public boolean add(String sessionId) {
    if (size.incrementAndGet() > MAX) {
      size.decrementAndGet();
      return false;
    }
    ids.add(sessionId);
    return true;
  }

  /** How many sessions wait. */
  public int pending() {
    return size.get();
  }

  /** How many times {@link #closeAll} ran: the member's returns that found sessions waiting. */
  public int rounds() {
    return rounds.get();
  }

  /**
   * Closes the waiting sessions on {@code member}, which answers again. A session the member no
   * longer knows (it restarted, or expired it) counts as closed; at the first failure on the wire
   * the rest wait for the member's next return, so that a member gone again costs one attempt. A
   * close refused for good (a TLS or protocol failure, which another attempt would meet again) is
   * dropped: the member's idle timeout, or its revocation of the client, ends that session.
   *
   * @return how many were closed
   */
  public int closeAll(String member, MemberChannel channel) {
    rounds.incrementAndGet();
    int closed = 0;
    for (String id = ids.poll(); id != null; id = ids.poll()) {
      size.decrementAndGet();
      try {
        channel.closeSession(id);
        closed++;
      } catch (HsmException e) {
        if (CallKind.sessionGone(e.code())) {
          closed++;
        }
      } catch (TransportException | RuntimeException e) {
        if (e instanceof TransportException t && refusedForGood(t)) {
          // refused for good (the member refuses this client's TLS, a protocol fault): no later
          // round does better, and a refused client's sessions are the member's to close
          LOG.log(
              System.Logger.Level.DEBUG,
              "closing a session let go on " + member + " was refused: " + e.getMessage());
          continue;
        }
        add(id);
        LOG.log(
            System.Logger.Level.DEBUG,
            "closing the sessions let go on "
                + member
                + " failed; tried again when it is back: "
                + e.getMessage());
        break;
      }
    }
    return closed;
  }

  /**
   * Whether another attempt would meet the same: the member refuses this client's TLS, or answers
   * outside the protocol. A call's time running out is not such a failure, though it is not
   * transient for the call that met it.
   */
  private static boolean refusedForGood(TransportException e) {
    TransportException.Kind k = e.kind();
    return k == TransportException.Kind.TLS
        || k == TransportException.Kind.PROTOCOL
        || k == TransportException.Kind.CONFIGURATION;
  }
}
