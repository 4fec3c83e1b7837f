package dev.keyring.sim.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * How the cluster service calls other members ({@code /v1/peer/...}), addressed by their advertised
 * crypto address. Between running members it is {@link #overTls mutual TLS}; a test connects
 * members in one process instead. Every call throws {@link IOException} when the member cannot be
 * reached or did not answer in time.
 */
public interface PeerTransport extends AutoCloseable {

  /** Calls over mutual TLS with this member's certificate, connecting through {@code routes}. */
  static PeerTransport overTls(SSLContext tls, Map<String, String> routes) {
    return new PeerClient(tls, routes);
  }

  /** A follower's long poll of the primary: its heartbeat, acknowledgement and catch-up. */
  PeerMessages.PollAnswer poll(String address, PeerMessages.Poll poll, Duration timeout)
      throws IOException;

  /** A follower's write, sent to the primary. */
  PeerMessages.SubmitAnswer submit(String address, PeerMessages.Submit submit, Duration timeout)
      throws IOException;

  /** What a member says of itself. */
  PeerMessages.Status status(String address, Duration timeout) throws IOException;

  /** Reads a streamed answer as it arrives. */
  @FunctionalInterface
  interface StreamReader<T> {
    T read(InputStream in) throws IOException;
  }

  /**
   * A member's whole replicated state, streamed ({@link dev.keyring.store.SnapshotStream}) into
   * {@code reader} as it arrives; {@code timeout} bounds the wait for the answer to start and,
   * again, the reading of the stream.
   */
  <T> T snapshot(String address, Duration timeout, StreamReader<T> reader) throws IOException;

  /** Asks a member to become the primary. */
  PeerMessages.Done promote(String address, PeerMessages.Promote promote, Duration timeout)
      throws IOException;

  /** Asks the primary to hand its role over. */
  PeerMessages.Done handover(String address, PeerMessages.Handover handover, Duration timeout)
      throws IOException;

  /** Asks a member for its vote in a new epoch (deleting an unrecoverable primary). */
  PeerMessages.FenceAnswer fence(String address, PeerMessages.Fence fence, Duration timeout)
      throws IOException;

  /** Takes back a vote asked for by an election that failed. */
  PeerMessages.Done release(String address, PeerMessages.Release release, Duration timeout)
      throws IOException;

  /** Runs {@code task} in the background (calls that must not hold up the caller). */
  void execute(Runnable task);

  @Override
  void close();
}
