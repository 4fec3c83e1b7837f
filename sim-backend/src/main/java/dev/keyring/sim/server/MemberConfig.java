package dev.keyring.sim.server;

import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.channel.ChannelServer;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a running member. Immutable; built by {@link #builder()}, checked at {@link
 * Builder#build()}.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>appliance</td><td>(required)</td><td>data directory, store, KDF cost, cache size</td></tr>
 *   <tr><td>bindAddress</td><td>127.0.0.1</td><td>the address both APIs listen on</td></tr>
 *   <tr><td>adminPort</td><td>50070</td><td>admin REST API (TLS); 0 = any free port</td></tr>
 *   <tr><td>cryptoPort</td><td>50052</td><td>crypto API (mutual TLS); 0 = any free port, kept
 *       across restarts of the cluster service unless another socket took it meanwhile (then a
 *       fresh one, which the cluster view lists); a fixed port that is taken fails the start with
 *       {@code CKR_FUNCTION_FAILED}</td></tr>
 *   <tr><td>sessionIdleTimeout</td><td>10 min</td><td>crypto sessions idle longer are closed</td></tr>
 *   <tr><td>initialAdminPassword</td><td>none</td><td>the {@code admin} user's password on first
 *       start; without one a random password is written to {@code DATA/initial-admin-password}</td></tr>
 * <tr><td>advertisedCryptoAddress</td><td>{@code host:port} that clients and other members are
 *       told to reach this member's crypto API at (a proxy in front of it, for instance); default
 *       the bind address and the crypto port</td></tr>
 * <tr><td>peerRoutes</td><td>{@code host:port} of another member's advertised crypto address to
 *       the {@code host:port} this member connects to instead (fault-injecting proxies on
 *       member-to-member links); default none</td></tr>
 * <tr><td>clockOffset</td><td>added to this member's clock where members compare clocks (join)
 *       and where the cluster service checks its clock against the cluster certificates (start);
 *       a simulated clock skew or wrong clock, within 20 years; default zero</td></tr>
 *   <tr><td>bufferBudget</td><td>a quarter of the JVM's maximum heap</td><td>bytes the member
 *       holds for clients' data at once: the input of multi-part operations, request bodies past
 *       their first 64 KiB while they arrive and are handled, multi-part encrypt and decrypt
 *       answers while they are written, a crypto channel connection's requests and answers past its
 *       first 64 KiB; what would pass it is refused with {@code
 *       CKR_DEVICE_MEMORY} (409); at least 1 MiB</td></tr>
 *   <tr><td>minRequestDataRate</td><td>16,384</td><td>bytes a second a request body must arrive
 *       at on average, counted from 5 s after the request began; a slower body is answered 400 and
 *       its connection closed; 1 to 1 GiB</td></tr>
 *   <tr><td>idleTimeout</td><td>30 s</td><td>a connection (and an HTTP/2 stream) of either API
 *       idle this long is closed; 1 s to 1 h</td></tr>
 *   <tr><td>clientCertificateValidity</td><td>730 days</td><td>how long a client certificate
 *       issued at registration is valid; a client renews by registering again; 1 to 3,650
 *       days</td></tr>
 *   <tr><td>maxConnections</td><td>1,024</td><td>connections each API holds open at once; more
 *       wait to be accepted; 16 to 65,536</td></tr>
 *   <tr><td>maxConnectionsPerClient</td><td>64</td><td>crypto API connections one client (one
 *       client certificate) may hold open at once, so that one client cannot take every connection
 *       of {@code maxConnections}; a request on one more is answered 409 with {@code
 *       CKR_DEVICE_MEMORY} and that connection closed; 1 to 65,536</td></tr>
 *   <tr><td>maxConcurrentStreams</td><td>32</td><td>streams one HTTP/2 connection may have open
 *       at once; more are refused; 1 to 1,024</td></tr>
 *   <tr><td>channelPort</td><td>0</td><td>the binary crypto channel (mutual TLS, same client
 *       certificates as the crypto API; see {@code docs/crypto-channel.md}); 0 = any free port,
 *       listed in the cluster view, kept across restarts of the cluster service as {@code
 *       cryptoPort} is; -1 = no channel</td></tr>
 *   <tr><td>advertisedChannelPort</td><td>0</td><td>the channel port clients are told to reach
 *       this member at, on the host of the advertised crypto address (a proxy in front of the
 *       channel, for instance); 0 = the port the channel listens on; 1 to 65535 otherwise</td></tr>
 *   <tr><td>channelMaxInFlight</td><td>256</td><td>requests one channel connection may have
 *       under way (read, not yet answered on the wire); a request beyond is refused with {@code
 *       CKR_DEVICE_MEMORY} and the connection goes on; 1 to 65,536</td></tr>
 *   <tr><td>channelMaxConnectionsPerClient</td><td>128</td><td>channel connections one client
 *       (one client certificate) may hold open at once, so that one client cannot take every
 *       connection of {@code maxConnections}; one more is refused after its handshake with {@code
 *       CKR_DEVICE_MEMORY} and closed; a client process opens up to 8 by default, so 128 leaves
 *       room for 16 processes sharing one registration; 1 to 65,536</td></tr>
 *   <tr><td>channelWorkers</td><td>twice the processors, at least 4</td><td>threads that serve
 *       channel requests, shared by every connection, which take turns; 1 to 1,024</td></tr>
 *   <tr><td>channelWriteTimeout</td><td>10 s</td><td>the longest one write of answers to a
 *       channel connection may take (a client that does not read); the connection is closed
 *       beyond; 100 ms to 10 min. An idle channel connection is closed after {@code
 *       idleTimeout}</td></tr>
 *   <tr><td>channelSpinMicros</td><td>200 (or the system property {@code
 *       keyring.member.channel.spinMicros})</td><td>how long a channel connection's reader spins
 *       on the CPU for its client's next request before it sleeps in a read, for a client whose
 *       last request came within as long (one sending in a loop), with at most half the
 *       processors' readers spinning at once: a request that comes within it wakes no thread, at
 *       the cost of CPU; 0 never spins (a member on a busy shared host); 0 to 1,000</td></tr>
 * </table>
 */
public final class MemberConfig {
  /** The smallest {@code bufferBudget}: 1 MiB. */
  public static final long MIN_BUFFER_BUDGET = 1L << 20;

  /** The default {@code clientCertificateValidity}: two years (730 days). */
  public static final Duration DEFAULT_CLIENT_CERTIFICATE_VALIDITY = Duration.ofDays(730);

  /** The longest {@code clientCertificateValidity}: 3,650 days. */
  public static final Duration MAX_CLIENT_CERTIFICATE_VALIDITY = Duration.ofDays(3650);

  private final ApplianceConfig appliance;
  private final String bindAddress;
  private final int adminPort;
  private final int cryptoPort;
  private final Duration sessionIdleTimeout;
  private final String initialAdminPassword;
  private final String advertisedCryptoAddress;
  private final java.util.Map<String, String> peerRoutes;

  /** The largest simulated clock error: past the 10-year life of the cluster certificates. */
  static final Duration MAX_CLOCK_OFFSET = Duration.ofDays(20 * 366);

  private final Duration clockOffset;
  private final long bufferBudget;
  private final long minRequestDataRate;
  private final Duration idleTimeout;
  private final int maxConnections;
  private final int maxConcurrentStreams;
  private final Duration clientCertificateValidity;
  private final int channelPort;
  private final int advertisedChannelPort;
  private final int channelMaxInFlight;
  private final int channelMaxConnectionsPerClient;
  private final int maxConnectionsPerClient;
  private final int channelWorkers;
  private final Duration channelWriteTimeout;
  private final int channelSpinMicros;

  private MemberConfig(Builder b, int channelSpinMicros) {
    this.channelSpinMicros = channelSpinMicros;
    this.channelPort = b.channelPort;
    this.advertisedChannelPort = b.advertisedChannelPort;
    this.channelMaxInFlight = b.channelMaxInFlight;
    this.channelMaxConnectionsPerClient = b.channelMaxConnectionsPerClient;
    this.maxConnectionsPerClient = b.maxConnectionsPerClient;
    this.channelWorkers = b.channelWorkers;
    this.channelWriteTimeout = b.channelWriteTimeout;
    this.clientCertificateValidity = b.clientCertificateValidity;
    this.bufferBudget = b.bufferBudget != null ? b.bufferBudget : defaultBufferBudget();
    this.minRequestDataRate = b.minRequestDataRate;
    this.idleTimeout = b.idleTimeout;
    this.maxConnections = b.maxConnections;
    this.maxConcurrentStreams = b.maxConcurrentStreams;
    this.advertisedCryptoAddress = b.advertisedCryptoAddress;
    this.peerRoutes = java.util.Map.copyOf(b.peerRoutes);
    this.clockOffset = b.clockOffset;
    this.appliance = b.appliance;
    this.bindAddress = b.bindAddress;
    this.adminPort = b.adminPort;
    this.cryptoPort = b.cryptoPort;
    this.sessionIdleTimeout = b.sessionIdleTimeout;
    this.initialAdminPassword = b.initialAdminPassword;
  }

  public static Builder builder() {
    return new Builder();
  }

  public ApplianceConfig appliance() {
    return appliance;
  }

  public String bindAddress() {
    return bindAddress;
  }

  public int adminPort() {
    return adminPort;
  }

  public int cryptoPort() {
    return cryptoPort;
  }

  public Duration sessionIdleTimeout() {
    return sessionIdleTimeout;
  }

  /** The admin password to set on first start, or null. */
  public String initialAdminPassword() {
    return initialAdminPassword;
  }

  /** The advertised {@code host:port} of the crypto API, or null for bind address and port. */
  public String advertisedCryptoAddress() {
    return advertisedCryptoAddress;
  }

  /** Advertised {@code host:port} of a peer to the {@code host:port} to connect to instead. */
  public java.util.Map<String, String> peerRoutes() {
    return peerRoutes;
  }

  /** The time this member reads: its appliance's ticker. */
  public Ticker ticker() {
    return appliance.ticker();
  }

  /** The simulated clock skew of this member. */
  public Duration clockOffset() {
    return clockOffset;
  }

  /** Bytes held for clients' data at once (multi-part input, large bodies, large answers). */
  public long bufferBudget() {
    return bufferBudget;
  }

  /** A quarter of the JVM's maximum heap (at least 1 MiB). */
  public static long defaultBufferBudget() {
    return Math.max(MIN_BUFFER_BUDGET, Runtime.getRuntime().maxMemory() / 4);
  }

  /** Bytes a second a request body must arrive at, from 5 s after the request began. */
  public long minRequestDataRate() {
    return minRequestDataRate;
  }

  /** How long a connection or HTTP/2 stream may be idle before it is closed. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** Connections each API holds open at once. */
  public int maxConnections() {
    return maxConnections;
  }

  /** How long a client certificate issued at registration is valid. */
  public Duration clientCertificateValidity() {
    return clientCertificateValidity;
  }

  /** Streams one HTTP/2 connection may have open at once. */
  public int maxConcurrentStreams() {
    return maxConcurrentStreams;
  }

  /** The crypto channel's port: 0 any free port, -1 no channel. */
  public int channelPort() {
    return channelPort;
  }

  /** The channel port clients are told to reach: 0 the one the channel listens on. */
  public int advertisedChannelPort() {
    return advertisedChannelPort;
  }

  /** Requests one channel connection may have under way. */
  public int channelMaxInFlight() {
    return channelMaxInFlight;
  }

  /** Channel connections one client certificate may hold open at once. */
  public int channelMaxConnectionsPerClient() {
    return channelMaxConnectionsPerClient;
  }

  /** Crypto API connections one client certificate may hold open at once. */
  public int maxConnectionsPerClient() {
    return maxConnectionsPerClient;
  }

  /** Threads serving channel requests. */
  public int channelWorkers() {
    return channelWorkers;
  }

  /** The longest one write to a channel connection may take. */
  public Duration channelWriteTimeout() {
    return channelWriteTimeout;
  }

  /** How long a channel connection's reader may spin for its client's next request, in µs. */
  public int channelSpinMicros() {
    return channelSpinMicros;
  }

  @Override
  public String toString() {
    return "MemberConfig[data="
        + appliance.dataDir()
        + ", bind="
        + bindAddress
        + ", admin="
        + adminPort
        + ", crypto="
        + cryptoPort
        + ", sessionIdleTimeout="
        + sessionIdleTimeout
        + ", bufferBudget="
        + bufferBudget
        + ", minRequestDataRate="
        + minRequestDataRate
        + ", idleTimeout="
        + idleTimeout
        + ", maxConnections="
        + maxConnections
        + ", maxConnectionsPerClient="
        + maxConnectionsPerClient
        + ", maxConcurrentStreams="
        + maxConcurrentStreams
        + ", channel="
        + channelPort
        + ", clientCertificateValidity="
        + clientCertificateValidity
        + "]";
  }

  /** Collects settings. */
  public static final class Builder {
    private ApplianceConfig appliance;
    private String bindAddress = "127.0.0.1";
    private int adminPort = 50070;
    private int cryptoPort = 50052;
    private Duration sessionIdleTimeout = Duration.ofMinutes(10);
    private String initialAdminPassword;
    private String advertisedCryptoAddress;
    private final java.util.Map<String, String> peerRoutes = new java.util.LinkedHashMap<>();
    private Duration clockOffset = Duration.ZERO;
    private Long bufferBudget; // null: derived from the heap
    private long minRequestDataRate = 16 << 10;
    private Duration idleTimeout = Duration.ofSeconds(30);
    private int maxConnections = 1024;
    private Duration clientCertificateValidity = DEFAULT_CLIENT_CERTIFICATE_VALIDITY;

    /** How long client certificates issued at registration are valid: 1 to 3,650 days. */
    public Builder clientCertificateValidity(Duration v) {
      this.clientCertificateValidity = v;
      return this;
    }

    private int maxConcurrentStreams = 32;
    private int channelPort = 0;
    private int advertisedChannelPort = 0;
    private int channelMaxInFlight = 256;
    private int channelMaxConnectionsPerClient = 128;
    private int maxConnectionsPerClient = 64;
    private int channelWorkers = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    private Duration channelWriteTimeout = Duration.ofSeconds(10);
    private Integer channelSpinMicros; // null: the system property's, else 50

    private Builder() {}

    /** The crypto channel's port: 0 (default) any free port, -1 no channel. */
    public Builder channelPort(int v) {
      this.channelPort = v;
      return this;
    }

    /**
     * The channel port clients are told to reach, at the advertised crypto address's host: 0
     * (default) the port the channel listens on.
     */
    public Builder advertisedChannelPort(int v) {
      this.advertisedChannelPort = v;
      return this;
    }

    /** Requests one channel connection may have under way (default 256). */
    public Builder channelMaxInFlight(int v) {
      this.channelMaxInFlight = v;
      return this;
    }

    /**
     * Channel connections one client (one client certificate) may hold open at once (default 64);
     * more are refused after the handshake.
     */
    public Builder channelMaxConnectionsPerClient(int v) {
      this.channelMaxConnectionsPerClient = v;
      return this;
    }

    /**
     * Crypto API connections one client certificate may hold open at once (default 64); a request
     * on one more is refused and that connection closed.
     */
    public Builder maxConnectionsPerClient(int v) {
      this.maxConnectionsPerClient = v;
      return this;
    }

    /** Threads serving channel requests (default twice the processors, at least 4). */
    public Builder channelWorkers(int v) {
      this.channelWorkers = v;
      return this;
    }

    /** The longest one write to a channel connection may take (default 10 s). */
    public Builder channelWriteTimeout(Duration v) {
      this.channelWriteTimeout = v;
      return this;
    }

    /** How long a channel reader may spin for the next request, 0 to 1,000 µs (default 50). */
    public Builder channelSpinMicros(int v) {
      this.channelSpinMicros = v;
      return this;
    }

    /** Bytes held for clients' data at once; default a quarter of the maximum heap. */
    public Builder bufferBudget(long bytes) {
      this.bufferBudget = bytes;
      return this;
    }

    public Builder minRequestDataRate(long bytesPerSecond) {
      this.minRequestDataRate = bytesPerSecond;
      return this;
    }

    public Builder idleTimeout(Duration v) {
      this.idleTimeout = v;
      return this;
    }

    public Builder maxConnections(int v) {
      this.maxConnections = v;
      return this;
    }

    public Builder maxConcurrentStreams(int v) {
      this.maxConcurrentStreams = v;
      return this;
    }

    public Builder advertisedCryptoAddress(String v) {
      this.advertisedCryptoAddress = v;
      return this;
    }

    public Builder peerRoute(String advertised, String connectTo) {
      this.peerRoutes.put(advertised, connectTo);
      return this;
    }

    public Builder clockOffset(Duration v) {
      this.clockOffset = v;
      return this;
    }

    public Builder appliance(ApplianceConfig v) {
      this.appliance = v;
      return this;
    }

    public Builder bindAddress(String v) {
      this.bindAddress = v;
      return this;
    }

    public Builder adminPort(int v) {
      this.adminPort = v;
      return this;
    }

    public Builder cryptoPort(int v) {
      this.cryptoPort = v;
      return this;
    }

    public Builder sessionIdleTimeout(Duration v) {
      this.sessionIdleTimeout = v;
      return this;
    }

    public Builder initialAdminPassword(String v) {
      this.initialAdminPassword = v;
      return this;
    }

    public MemberConfig build() {
      if (appliance == null) {
        throw new IllegalArgumentException("appliance is required");
      }
      Objects.requireNonNull(bindAddress, "bindAddress");
      checkPort("adminPort", adminPort);
      checkPort("cryptoPort", cryptoPort);
      if (adminPort != 0 && adminPort == cryptoPort) {
        throw new IllegalArgumentException(
            "adminPort and cryptoPort must differ, both are " + adminPort);
      }
      if (sessionIdleTimeout == null
          || sessionIdleTimeout.compareTo(Duration.ofSeconds(1)) < 0
          || sessionIdleTimeout.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            "sessionIdleTimeout must be 1 s to 1 day, got " + sessionIdleTimeout);
      }
      if (advertisedCryptoAddress != null) {
        checkAddress("advertisedCryptoAddress", advertisedCryptoAddress);
      }
      for (java.util.Map.Entry<String, String> e : peerRoutes.entrySet()) {
        checkAddress("peer route " + e.getKey(), e.getKey());
        checkAddress("peer route " + e.getKey() + " target", e.getValue());
      }
      if (bufferBudget != null && bufferBudget < MIN_BUFFER_BUDGET) {
        throw new IllegalArgumentException(
            "bufferBudget must be at least " + MIN_BUFFER_BUDGET + " bytes, got " + bufferBudget);
      }
      if (minRequestDataRate < 1 || minRequestDataRate > (1L << 30)) {
        throw new IllegalArgumentException(
            "minRequestDataRate must be 1 to 1073741824 bytes a second, got " + minRequestDataRate);
      }
      if (idleTimeout == null
          || idleTimeout.compareTo(Duration.ofSeconds(1)) < 0
          || idleTimeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("idleTimeout must be 1 s to 1 h, got " + idleTimeout);
      }
      checkRange("maxConnections", maxConnections, 16, 65536);
      checkRange("maxConcurrentStreams", maxConcurrentStreams, 1, 1024);
      if (channelPort < -1 || channelPort > 65535) {
        throw new IllegalArgumentException(
            "channelPort must be -1 (none), 0 (any) or a port up to 65535, got " + channelPort);
      }
      if (channelPort > 0 && (channelPort == cryptoPort || channelPort == adminPort)) {
        throw new IllegalArgumentException(
            "channelPort must differ from adminPort and cryptoPort, got " + channelPort);
      }
      if (advertisedChannelPort < 0 || advertisedChannelPort > 65535) {
        throw new IllegalArgumentException(
            "advertisedChannelPort must be 0 (the listening port) or a port up to 65535, got "
                + advertisedChannelPort);
      }
      checkRange("channelMaxInFlight", channelMaxInFlight, 1, 65536);
      checkRange("channelMaxConnectionsPerClient", channelMaxConnectionsPerClient, 1, 65536);
      checkRange("maxConnectionsPerClient", maxConnectionsPerClient, 1, 65536);
      checkRange("channelWorkers", channelWorkers, 1, 1024);
      // read at each build, never kept in the builder: a bad property value refuses the settings
      int spin = channelSpinMicros != null ? channelSpinMicros : (int) ChannelServer.spinProperty();
      checkRange("channelSpinMicros", spin, 0, 1000);
      if (channelWriteTimeout == null
          || channelWriteTimeout.compareTo(Duration.ofMillis(100)) < 0
          || channelWriteTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "channelWriteTimeout must be 100 ms to 10 min, got " + channelWriteTimeout);
      }
      if (clientCertificateValidity == null
          || clientCertificateValidity.compareTo(Duration.ofDays(1)) < 0
          || clientCertificateValidity.compareTo(MAX_CLIENT_CERTIFICATE_VALIDITY) > 0) {
        throw new IllegalArgumentException(
            "clientCertificateValidity must be 1 to 3650 days, got " + clientCertificateValidity);
      }
      if (clockOffset == null || clockOffset.abs().compareTo(MAX_CLOCK_OFFSET) > 0) {
        throw new IllegalArgumentException(
            "clockOffset must be within 20 years, got " + clockOffset);
      }
      return new MemberConfig(this, spin);
    }

    private static void checkAddress(String name, String v) {
      int colon = v.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(name + " must be host:port, got '" + v + "'");
      }
      int port;
      try {
        port = Integer.parseInt(v.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be host:port, got '" + v + "'");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(name + ": port must be 1 to 65535, got '" + v + "'");
      }
    }

    private static void checkRange(String name, int v, int min, int max) {
      if (v < min || v > max) {
        throw new IllegalArgumentException(name + " must be " + min + " to " + max + ", got " + v);
      }
    }

    private static void checkPort(String name, int port) {
      checkRange(name, port, 0, 65535);
    }
  }
}
