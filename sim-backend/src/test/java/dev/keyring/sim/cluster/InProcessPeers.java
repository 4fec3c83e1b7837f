package dev.keyring.sim.cluster;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Member-to-member calls inside one process: a call is the target node's own method, run on the
 * caller's thread, with the caller's certificate fingerprint. A member whose address is {@link
 * Network#down down} does not answer. Background calls run at once, so a probe is done when {@code
 * probe()} returns.
 */
final class InProcessPeers implements PeerTransport {

  /** The members of one in-process cluster by crypto address, and those that do not answer. */
  static final class Network {
    final Map<String, ClusterNode> nodes = new ConcurrentHashMap<>();
    final Set<String> down = ConcurrentHashMap.newKeySet();
  }

  private final Network network;
  private final String fingerprint;

  InProcessPeers(Network network, String fingerprint) {
    this.network = network;
    this.fingerprint = fingerprint;
  }

  private ClusterNode at(String address) throws IOException {
    ClusterNode n = network.nodes.get(address);
    if (n == null || network.down.contains(address)) {
      throw new IOException("no member answers at " + address);
    }
    return n;
  }

  @Override
  public PeerMessages.PollAnswer poll(String address, PeerMessages.Poll poll, Duration timeout)
      throws IOException {
    return at(address).poll(poll, fingerprint);
  }

  @Override
  public PeerMessages.SubmitAnswer submit(
      String address, PeerMessages.Submit submit, Duration timeout) throws IOException {
    return at(address).submit(submit, fingerprint);
  }

  @Override
  public PeerMessages.Status status(String address, Duration timeout) throws IOException {
    return at(address).status();
  }

  /**
   * The target writes its state into a pipe on a thread of its own while {@code reader} reads the
   * other end, as over a connection: neither side holds the whole state.
   */
  @Override
  public <T> T snapshot(String address, Duration timeout, StreamReader<T> reader)
      throws IOException {
    ClusterNode n = at(address);
    n.checkSnapshotCaller(fingerprint);
    PipedInputStream in = new PipedInputStream(64 * 1024);
    PipedOutputStream out = new PipedOutputStream(in);
    Thread writer =
        new Thread(
            () -> {
              try (out) {
                n.writeSnapshot(fingerprint, out);
              } catch (IOException | RuntimeException e) {
                // the reader sees the stream end early
              }
            },
            "in-process-snapshot");
    writer.setDaemon(true);
    writer.start();
    try (in) {
      return reader.read(in);
    }
  }

  @Override
  public PeerMessages.Done promote(String address, PeerMessages.Promote promote, Duration timeout)
      throws IOException {
    return at(address).becomePrimary(promote);
  }

  @Override
  public PeerMessages.Done handover(
      String address, PeerMessages.Handover handover, Duration timeout) throws IOException {
    return at(address).handover(handover.targetId());
  }

  @Override
  public PeerMessages.FenceAnswer fence(String address, PeerMessages.Fence fence, Duration timeout)
      throws IOException {
    return at(address).fence(fence);
  }

  @Override
  public PeerMessages.Done release(String address, PeerMessages.Release release, Duration timeout)
      throws IOException {
    return at(address).release(release);
  }

  @Override
  public void execute(Runnable task) {
    task.run();
  }

  @Override
  public void close() {}
}
