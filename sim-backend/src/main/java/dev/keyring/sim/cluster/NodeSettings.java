package dev.keyring.sim.cluster;

import dev.keyring.protocol.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Who a member is in its cluster and what its cluster service reads.
 *
 * @param memberId the member's id in the membership
 * @param name the member's name (its appliance's default member name)
 * @param cryptoAddress where clients and members reach its crypto API ({@code host:port})
 * @param adminAddress where its admin API listens ({@code host:port})
 * @param certFingerprint SHA-256 of its member certificate (hex), how members recognise it
 * @param restartRequired whether its cluster service waits for a restart
 * @param version the software version it reports
 * @param ticker the time every heartbeat, liveness window and wait reads
 * @param channelPort the port of its crypto channel, at the crypto address's host (0: none)
 * @param majorityGrace how long the primary waits for a majority to poll it before it refuses a
 *     write for want of one: a follower a little late (a busy machine, a pause for garbage
 *     collection) costs the write that long instead of failing it; {@link ClusterNode#LIVE} by
 *     default, zero where a test moves the ticker by hand
 */
public record NodeSettings(
    String memberId,
    String name,
    String cryptoAddress,
    String adminAddress,
    String certFingerprint,
    BooleanSupplier restartRequired,
    String version,
    Ticker ticker,
    Duration majorityGrace,
    int channelPort) {
  /** The settings with the default grace ({@link ClusterNode#LIVE}), without a channel. */
  public NodeSettings(
      String memberId,
      String name,
      String cryptoAddress,
      String adminAddress,
      String certFingerprint,
      BooleanSupplier restartRequired,
      String version,
      Ticker ticker) {
    this(
        memberId,
        name,
        cryptoAddress,
        adminAddress,
        certFingerprint,
        restartRequired,
        version,
        ticker,
        ClusterNode.LIVE,
        0);
  }

  /** These settings with another {@link #majorityGrace}. */
  public NodeSettings withMajorityGrace(Duration grace) {
    return new NodeSettings(
        memberId,
        name,
        cryptoAddress,
        adminAddress,
        certFingerprint,
        restartRequired,
        version,
        ticker,
        grace,
        channelPort);
  }

  /** These settings with another {@link #channelPort}. */
  public NodeSettings withChannelPort(int port) {
    return new NodeSettings(
        memberId,
        name,
        cryptoAddress,
        adminAddress,
        certFingerprint,
        restartRequired,
        version,
        ticker,
        majorityGrace,
        port);
  }

  /** Checks that nothing is missing. */
  public NodeSettings {
    Objects.requireNonNull(memberId, "memberId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(cryptoAddress, "cryptoAddress");
    Objects.requireNonNull(adminAddress, "adminAddress");
    Objects.requireNonNull(certFingerprint, "certFingerprint");
    Objects.requireNonNull(restartRequired, "restartRequired");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(majorityGrace, "majorityGrace");
    if (channelPort < 0 || channelPort > 65535) {
      throw new IllegalArgumentException("channelPort must be 0 to 65535, got " + channelPort);
    }
    if (majorityGrace.isNegative()) {
      throw new IllegalArgumentException("majorityGrace is negative: " + majorityGrace);
    }
  }

  /** This member's entry in a membership, in the default affinity group. */
  public Membership.Entry entry() {
    return new Membership.Entry(
        memberId,
        name,
        cryptoAddress,
        adminAddress,
        Membership.DEFAULT_GROUP,
        certFingerprint,
        channelPort);
  }
}
