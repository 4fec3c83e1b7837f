package dev.keyring.sim.channel;

import dev.keyring.protocol.channel.ChannelRequest;
import java.security.cert.X509Certificate;

/**
 * What the crypto channel's requests are served by: the member's crypto API, with the same session,
 * authorization and consistency checks as its REST endpoints. The channel itself only frames,
 * bounds and schedules.
 */
public interface ChannelService {
  /**
   * Serves {@code request} from the client with certificate {@code client} and answers the frame to
   * send back (a success or a refusal; never null). Called on a worker thread.
   */
  byte[] serve(ChannelRequest request, X509Certificate client);

  /**
   * Checks, before each frame is served, that the client's certificate is still good (not revoked
   * since the connection was opened).
   *
   * @throws dev.keyring.protocol.HsmException CKR_FUNCTION_REJECTED when it is not: the frame is
   *     refused and the connection closed
   */
  void checkClient(X509Certificate client);

  /**
   * Reserves {@code bytes} of the member's memory budget for what a connection holds beyond its own
   * share ({@link HeldBytes}); false when the budget cannot hold them (the request is then
   * refused).
   */
  boolean tryHold(long bytes);

  /** Gives back what {@link #tryHold} reserved. */
  void release(long bytes);

  /**
   * Whether serving {@code request} changed nothing on the member but what it answered (a read: a
   * find, a {@code GET}, random bytes, a single-part signature or cipher), so that its answer may
   * be dropped for a refusal after it was served and the client may ask again. False for anything
   * else (a write, a session's login or close, a part of a multi-part operation): an answer of
   * those is always sent. False unless said otherwise.
   */
  default boolean answerMayBeDropped(ChannelRequest request) {
    return false;
  }
}
