package dev.keyring.sim.channel;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits of one member's crypto channel (from its {@code MemberConfig}).
 *
 * @param bindAddress the address to listen on
 * @param port the port; 0 any free one
 * @param maxConnections connections held open at once; more are closed as they are accepted
 * @param maxInFlight requests one connection may have under way; beyond, refused with
 *     CKR_DEVICE_MEMORY
 * @param maxConnectionsPerClient connections one client certificate may hold open at once; more are
 *     refused after their handshake
 * @param workers threads serving requests, shared by every connection
 * @param idleTimeout a connection with nothing under way and nothing received this long is closed
 * @param writeTimeout one write of answers blocked longer closes the connection
 * @param maxFrameBytes the longest frame read; a longer one is refused before it is read and the
 *     connection closed
 * @param spinMicros how long a connection's reader may spin on the CPU for its client's next
 *     request before it sleeps in a read (0 to 1,000 µs; 0 never spins): see {@link
 *     ChannelServer#SPIN_PROPERTY}
 */
public record ChannelSettings(
    String bindAddress,
    int port,
    int maxConnections,
    int maxInFlight,
    int maxConnectionsPerClient,
    int workers,
    Duration idleTimeout,
    Duration writeTimeout,
    int maxFrameBytes,
    long spinMicros) {
  public ChannelSettings {
    Objects.requireNonNull(bindAddress, "bindAddress");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(writeTimeout, "writeTimeout");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
    }
    if (maxConnections < 1
        || maxInFlight < 1
        || maxConnectionsPerClient < 1
        || workers < 1
        || maxFrameBytes < 64) {
      throw new IllegalArgumentException("channel limits must be positive");
    }
    if (spinMicros < 0 || spinMicros > 1000) {
      throw new IllegalArgumentException(
          "the channel's spin must be 0 to 1000 microseconds, got " + spinMicros);
    }
  }
}
