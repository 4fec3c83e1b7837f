package dev.keyring.client.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How the client talks to the cluster: HTTP version, timeouts and connection pool (per member), and
 * how it routes over the cluster's members (view refresh, affinity group, recovery of failed
 * members). Immutable; built by {@link #builder()} and checked at {@link Builder#build()}.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>rule</th></tr>
 *   <tr><td>httpVersion</td><td>{@link HttpVersion#HTTP_1_1}</td><td>HTTP/1.1 measured faster at
 *       low concurrency; {@link HttpVersion#HTTP_2} multiplexes one connection</td></tr>
 *   <tr><td>connectTimeout</td><td>5 s</td><td>100 ms to 5 min (TCP connect and TLS handshake)</td></tr>
 *   <tr><td>readTimeout</td><td>60 s</td><td>100 ms to 1 h, per read (RSA-4096 generation is slow)</td></tr>
 *   <tr><td>writeTimeout</td><td>30 s</td><td>100 ms to 1 h, per write</td></tr>
 *   <tr><td>callTimeout</td><td>2 min</td><td>0 (none) or 100 ms to 1 h, a whole call with its retry</td></tr>
 *   <tr><td>maxIdleConnections</td><td>8</td><td>1 to 256 connections kept open while idle</td></tr>
 *   <tr><td>maxConnections</td><td>16</td><td>1 to 1,024 HTTP/1.1 calls under way at once to
 *       each member, one connection each (more wait their turn, within the call's time limit);
 *       members hold at most {@code maxConnectionsPerClient} (64) crypto API connections per client
 *       certificate, so 16 leaves room for four processes sharing one registration. Over HTTP/2 the
 *       calls share a connection and this does not apply</td></tr>
 *   <tr><td>keepAlive</td><td>5 min</td><td>1 s to 1 h an idle connection is kept</td></tr>
 *   <tr><td>viewRefresh</td><td>5 s</td><td>100 ms to 1 h between fetches of the cluster view
 *       ({@code GET /v1/cluster}); a member failure also fetches it at once</td></tr>
 *   <tr><td>affinityGroup</td><td>none: the group of the registered member</td><td>1 to 64
 *       printable characters without blanks; reads and crypto go to the live members of this group,
 *       other groups serve only when the whole group is down</td></tr>
 *   <tr><td>recoveryInterval</td><td>1 s</td><td>100 ms to 10 min between health probes
 *       ({@code GET /v1/health}) of a member marked down</td></tr>
 *   <tr><td>recoveryRetries</td><td>-1 (forever)</td><td>-1, or 0 to 1,000,000 probes of a down
 *       member before the client stops probing it; it then comes back only when a fresh view lists
 *       it as visible and one probe succeeds</td></tr>
 *   <tr><td>hedging</td><td>true, or the system property {@value #HEDGING_PROPERTY} ({@code true}
 *       or {@code false}) when set</td><td>a repeatable read (sign, verify, encrypt, decrypt, find,
 *       get, random, slots, ping) that its member has not answered within the hedge delay is sent to
 *       a second member too, and the first answer taken; writes are never hedged</td></tr>
 *   <tr><td>hedgeMinDelay</td><td>50 ms</td><td>1 ms to 10 s; the hedge delay is 3 × the p99 of
 *       that call's recent latencies, clamped to [hedgeMinDelay, hedgeMaxDelay]</td></tr>
 *   <tr><td>hedgeMaxDelay</td><td>500 ms</td><td>hedgeMinDelay to 10 s; also the delay before
 *       enough latencies are known</td></tr>
 *   <tr><td>wire</td><td>{@link Wire#CHANNEL}, or the system property {@value #WIRE_PROPERTY}
 *       ({@code channel} or {@code http}) when set</td><td>how crypto calls travel: {@link
 *       Wire#CHANNEL}, the members' binary crypto channel (one persistent connection per member,
 *       pipelined; see {@code docs/crypto-channel.md}), or {@link Wire#HTTP}, the REST/JSON crypto
 *       API; on the channel, a member whose view entry lists no channel port (logged once), or whose
 *       channel cannot be connected to, is reached over HTTP</td></tr>
 *   <tr><td>heartbeatInterval</td><td>5 s</td><td>100 ms to 1 h: a channel connection that
 *       received nothing this long is pinged, and closed when the ping is not answered within as
 *       long (its requests under way fail with IO)</td></tr>
 *   <tr><td>channelSpin</td><td>200 µs, or the system property {@value #CHANNEL_SPIN_PROPERTY}
 *       (microseconds) when set</td><td>0 (never) to 1 ms: how long a call alone on its channel
 *       connection waits for its answer on the CPU (spinning, reading it itself while the reader
 *       thread is aside) before it sleeps. An answer within it wakes no thread: on an idle (more so
 *       a virtual) machine, waking a core costs more than a ping's round trip. Costs at most that
 *       much CPU per call; calls with others under way on the connection never spin</td></tr>
 *   <tr><td>channelConnections</td><td>8, or the system property {@value
 *       #CHANNEL_CONNECTIONS_PROPERTY} when set</td><td>1 to 16 channel connections to each member.
 *       The first is opened at the first call; another only while calls overlap (every open one has
 *       a request under way), and each call takes an idle one when there is one. A request alone on
 *       its connection is answered by the member's reading thread with no hand-off, and only a call
 *       alone on its connection spins (above): two threads calling together run as two lone
 *       callers. Each connection holds two threads on the member while it is open; one other than
 *       the first with no call for twelve {@code heartbeatInterval}s (60 s by default) is closed,
 *       and made again when calls overlap again</td></tr>
 *   <tr><td>answerDeadline</td><td>750 ms</td><td>0 (none) or 10 ms to 1 h: a repeatable read
 *       its member has not answered by then is abandoned there (its connection closed) and the
 *       member marked down, when another member can take the call; 750 ms leaves the repeat on
 *       another member room to end within 1 s of the call's start</td></tr>
 * </table>
 *
 * <p>The connection pool options apply to each member separately: a client of a three-member
 * cluster may keep up to {@code 3 × maxIdleConnections} idle connections.
 */
public final class TransportOptions {
  /** The HTTP version spoken over TLS. */
  public enum HttpVersion {
    /** One request at a time per connection; the pool opens more connections under load. */
    HTTP_1_1,
    /** Negotiated with ALPN; many requests share one connection. */
    HTTP_2
  }

  /** How crypto calls travel to a member. */
  public enum Wire {
    /** The REST/JSON crypto API over HTTPS (for scripts, curl and other languages). */
    HTTP,
    /**
     * The binary crypto channel (the default): one persistent mutual-TLS connection per member,
     * pipelined.
     */
    CHANNEL
  }

  /**
   * The system property that, when set to {@code http} (or {@code channel}), gives the default of
   * {@code wire}: so that clients configured by file (the provider) can be moved back to the REST
   * crypto API without code.
   */
  public static final String WIRE_PROPERTY = "keyring.client.wire";

  /**
   * The system property that, when set to {@code true} or {@code false}, gives the default of
   * {@code hedging}: so that clients configured by file (the provider) can turn it on or off
   * without code.
   */
  public static final String HEDGING_PROPERTY = "keyring.client.hedging";

  /**
   * The system property that, when set to a whole number of microseconds (0 to 1,000), gives the
   * default of {@code channelSpin}: so that clients configured by file (the provider) can change it
   * without code.
   */
  public static final String CHANNEL_SPIN_PROPERTY = "keyring.client.channel.spinMicros";

  /**
   * The system property that, when set to a whole number (1 to 16), gives the default of {@code
   * channelConnections}: so that clients configured by file (the provider) can change it without
   * code.
   */
  public static final String CHANNEL_CONNECTIONS_PROPERTY = "keyring.client.channel.connections";

  /** The most {@code channelConnections} to one member: 16. */
  public static final int MAX_CHANNEL_CONNECTIONS = 16;

  /** The longest {@code channelSpin}: 1 ms. */
  public static final Duration MAX_CHANNEL_SPIN = Duration.ofMillis(1);

  private final HttpVersion httpVersion;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final Duration writeTimeout;
  private final Duration callTimeout;
  private final int maxIdleConnections;
  private final int maxConnections;
  private final Duration keepAlive;
  private final Duration viewRefresh;
  private final String affinityGroup;
  private final Duration recoveryInterval;
  private final int recoveryRetries;
  private final boolean hedging;
  private final Duration hedgeMinDelay;
  private final Duration hedgeMaxDelay;
  private final Duration answerDeadline;
  private final Wire wire;
  private final Duration heartbeatInterval;
  private final Duration channelSpin;
  private final int channelConnections;

  private TransportOptions(Builder b) {
    this.wire = b.wire;
    this.channelSpin = b.channelSpin;
    this.channelConnections = b.channelConnections;
    this.heartbeatInterval = b.heartbeatInterval;
    this.httpVersion = b.httpVersion;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.writeTimeout = b.writeTimeout;
    this.callTimeout = b.callTimeout;
    this.maxIdleConnections = b.maxIdleConnections;
    this.maxConnections = b.maxConnections;
    this.keepAlive = b.keepAlive;
    this.viewRefresh = b.viewRefresh;
    this.affinityGroup = b.affinityGroup;
    this.recoveryInterval = b.recoveryInterval;
    this.recoveryRetries = b.recoveryRetries;
    this.hedging = b.hedging;
    this.hedgeMinDelay = b.hedgeMinDelay;
    this.hedgeMaxDelay = b.hedgeMaxDelay;
    this.answerDeadline = b.answerDeadline;
  }

  /**
   * The defaults in the table above, the system properties read now (a bad value is refused here).
   */
  public static TransportOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .httpVersion(httpVersion)
        .connectTimeout(connectTimeout)
        .readTimeout(readTimeout)
        .writeTimeout(writeTimeout)
        .callTimeout(callTimeout)
        .maxIdleConnections(maxIdleConnections)
        .maxConnections(maxConnections)
        .keepAlive(keepAlive)
        .viewRefresh(viewRefresh)
        .affinityGroup(affinityGroup)
        .recoveryInterval(recoveryInterval)
        .recoveryRetries(recoveryRetries)
        .hedging(hedging)
        .hedgeMinDelay(hedgeMinDelay)
        .hedgeMaxDelay(hedgeMaxDelay)
        .answerDeadline(answerDeadline)
        .wire(wire)
        .heartbeatInterval(heartbeatInterval)
        .channelSpin(channelSpin)
        .channelConnections(channelConnections);
  }

  /** How crypto calls travel to a member. */
  public Wire wire() {
    return wire;
  }

  /** How long a channel connection may receive nothing before it is pinged. */
  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  /** How long a call alone on its channel connection spins for its answer before it sleeps. */
  public Duration channelSpin() {
    return channelSpin;
  }

  /** How many channel connections a client keeps to one member at most. */
  public int channelConnections() {
    return channelConnections;
  }

  public HttpVersion httpVersion() {
    return httpVersion;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration readTimeout() {
    return readTimeout;
  }

  public Duration writeTimeout() {
    return writeTimeout;
  }

  /** The limit for a whole call, its retry included; {@link Duration#ZERO} for none. */
  public Duration callTimeout() {
    return callTimeout;
  }

  public int maxIdleConnections() {
    return maxIdleConnections;
  }

  /** HTTP/1.1 calls under way at once to each member (one connection each). */
  public int maxConnections() {
    return maxConnections;
  }

  public Duration keepAlive() {
    return keepAlive;
  }

  /** How often the cluster view is fetched again in the background. */
  public Duration viewRefresh() {
    return viewRefresh;
  }

  /**
   * The affinity group reads and crypto prefer, or null for the group of the member this client
   * registered with.
   */
  public String affinityGroup() {
    return affinityGroup;
  }

  /** How often a member marked down is probed. */
  public Duration recoveryInterval() {
    return recoveryInterval;
  }

  /** How many probes of a down member are made before giving up on it; -1 for no limit. */
  public int recoveryRetries() {
    return recoveryRetries;
  }

  /** Whether a slow repeatable read is sent to a second member too (never a write). */
  public boolean hedging() {
    return hedging;
  }

  /** The shortest hedge delay. */
  public Duration hedgeMinDelay() {
    return hedgeMinDelay;
  }

  /** The longest hedge delay, and the delay used before enough latencies are known. */
  public Duration hedgeMaxDelay() {
    return hedgeMaxDelay;
  }

  /**
   * How long a repeatable read waits for its member before it is abandoned there and the member
   * marked down (when another member can take it); {@link Duration#ZERO} for no deadline.
   */
  public Duration answerDeadline() {
    return answerDeadline;
  }

  @Override
  public String toString() {
    return "TransportOptions["
        + httpVersion
        + ", connect="
        + connectTimeout
        + ", read="
        + readTimeout
        + ", write="
        + writeTimeout
        + ", call="
        + callTimeout
        + ", maxIdle="
        + maxIdleConnections
        + ", maxConnections="
        + maxConnections
        + ", keepAlive="
        + keepAlive
        + ", viewRefresh="
        + viewRefresh
        + ", affinityGroup="
        + (affinityGroup == null ? "(registered member's)" : affinityGroup)
        + ", recoveryInterval="
        + recoveryInterval
        + ", recoveryRetries="
        + recoveryRetries
        + ", hedging="
        + hedging
        + ", hedgeDelay="
        + Builder.human(hedgeMinDelay)
        + ".."
        + Builder.human(hedgeMaxDelay)
        + ", answerDeadline="
        + answerDeadline
        + ", wire="
        + wire
        + ", heartbeat="
        + Builder.human(heartbeatInterval)
        + ", channelSpin="
        + Builder.human(channelSpin)
        + ", channelConnections="
        + channelConnections
        + "]";
  }

  /** Collects options; {@link #build()} checks them. */
  public static final class Builder {
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    private HttpVersion httpVersion = HttpVersion.HTTP_1_1;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration readTimeout = Duration.ofSeconds(60);
    private Duration writeTimeout = Duration.ofSeconds(30);
    private Duration callTimeout = Duration.ofMinutes(2);
    private int maxIdleConnections = 8;
    private int maxConnections = 16;
    private Duration keepAlive = Duration.ofMinutes(5);
    private Duration viewRefresh = Duration.ofSeconds(5);
    private String affinityGroup;
    private Duration recoveryInterval = Duration.ofSeconds(1);
    private int recoveryRetries = -1;
    private boolean hedging = PropertyDefaults.hedging();
    private Duration hedgeMinDelay = Duration.ofMillis(50);
    private Duration hedgeMaxDelay = Duration.ofMillis(500);
    private Duration answerDeadline = Duration.ofMillis(750);
    private Wire wire = PropertyDefaults.wire();
    private Duration heartbeatInterval = Duration.ofSeconds(5);
    private Duration channelSpin = PropertyDefaults.channelSpin();
    private int channelConnections = PropertyDefaults.channelConnections();

    private Builder() {}

    /** How crypto calls travel: {@link Wire#CHANNEL} (default) or {@link Wire#HTTP}. */
    public Builder wire(Wire v) {
      this.wire = v;
      return this;
    }

    /** How long a channel connection may receive nothing before it is pinged (default 5 s). */
    public Builder heartbeatInterval(Duration v) {
      this.heartbeatInterval = v;
      return this;
    }

    /**
     * How long a call alone on its channel connection spins for its answer before it sleeps (0 to 1
     * ms; default 200 µs, or the system property {@value TransportOptions#CHANNEL_SPIN_PROPERTY}).
     */
    public Builder channelSpin(Duration v) {
      this.channelSpin = v;
      return this;
    }

    /**
     * How many channel connections to keep to one member at most (1 to 16; default 4, or the system
     * property {@value TransportOptions#CHANNEL_CONNECTIONS_PROPERTY}); another than the first is
     * opened only while calls overlap.
     */
    public Builder channelConnections(int v) {
      this.channelConnections = v;
      return this;
    }

    public Builder httpVersion(HttpVersion v) {
      this.httpVersion = v;
      return this;
    }

    public Builder connectTimeout(Duration v) {
      this.connectTimeout = v;
      return this;
    }

    public Builder readTimeout(Duration v) {
      this.readTimeout = v;
      return this;
    }

    public Builder writeTimeout(Duration v) {
      this.writeTimeout = v;
      return this;
    }

    /** The limit for a whole call with its retry; {@link Duration#ZERO} for none. */
    public Builder callTimeout(Duration v) {
      this.callTimeout = v;
      return this;
    }

    public Builder maxIdleConnections(int v) {
      this.maxIdleConnections = v;
      return this;
    }

    /** HTTP/1.1 calls under way at once to each member (default 16); more wait their turn. */
    public Builder maxConnections(int v) {
      this.maxConnections = v;
      return this;
    }

    public Builder keepAlive(Duration v) {
      this.keepAlive = v;
      return this;
    }

    /** How often the cluster view is fetched in the background (a member failure also does). */
    public Builder viewRefresh(Duration v) {
      this.viewRefresh = v;
      return this;
    }

    /** The affinity group to prefer; null for the group of the registered member. */
    public Builder affinityGroup(String v) {
      this.affinityGroup = v;
      return this;
    }

    /** How often a member marked down is probed with {@code GET /v1/health}. */
    public Builder recoveryInterval(Duration v) {
      this.recoveryInterval = v;
      return this;
    }

    /** Probes of a down member before the client stops probing it; -1 (default) for no limit. */
    public Builder recoveryRetries(int v) {
      this.recoveryRetries = v;
      return this;
    }

    /**
     * Whether a slow repeatable read is sent to a second member too (default true, or the system
     * property {@value TransportOptions#HEDGING_PROPERTY} when set).
     */
    public Builder hedging(boolean v) {
      this.hedging = v;
      return this;
    }

    /** The shortest hedge delay (default 50 ms). */
    public Builder hedgeMinDelay(Duration v) {
      this.hedgeMinDelay = v;
      return this;
    }

    /** The longest hedge delay, used too before latencies are known (default 500 ms). */
    public Builder hedgeMaxDelay(Duration v) {
      this.hedgeMaxDelay = v;
      return this;
    }

    /**
     * How long a repeatable read waits for its member before being abandoned there (default 750
     * ms); {@link Duration#ZERO} for no deadline.
     */
    public Builder answerDeadline(Duration v) {
      this.answerDeadline = v;
      return this;
    }

    /**
     * Checks every option.
     *
     * @throws IllegalArgumentException naming the option, the rule and the value given
     */
    public TransportOptions build() {
      if (httpVersion == null) {
        throw new IllegalArgumentException("httpVersion must be HTTP_1_1 or HTTP_2, got null");
      }
      if (wire == null) {
        throw new IllegalArgumentException("wire must be HTTP or CHANNEL, got null");
      }
      checkRange("heartbeatInterval", heartbeatInterval, MIN_TIMEOUT, MAX_TIMEOUT);
      checkRange("channelSpin", channelSpin, Duration.ZERO, MAX_CHANNEL_SPIN);
      checkRange("channelConnections", channelConnections, 1, MAX_CHANNEL_CONNECTIONS);
      checkRange("connectTimeout", connectTimeout, MIN_TIMEOUT, Duration.ofMinutes(5));
      checkRange("readTimeout", readTimeout, MIN_TIMEOUT, MAX_TIMEOUT);
      checkRange("writeTimeout", writeTimeout, MIN_TIMEOUT, MAX_TIMEOUT);
      Objects.requireNonNull(callTimeout, "callTimeout");
      if (!callTimeout.isZero()) {
        checkRange("callTimeout", callTimeout, MIN_TIMEOUT, MAX_TIMEOUT);
      }
      checkRange("maxIdleConnections", maxIdleConnections, 1, 256);
      checkRange("maxConnections", maxConnections, 1, 1024);
      checkRange("keepAlive", keepAlive, Duration.ofSeconds(1), MAX_TIMEOUT);
      checkRange("viewRefresh", viewRefresh, MIN_TIMEOUT, MAX_TIMEOUT);
      checkRange("recoveryInterval", recoveryInterval, MIN_TIMEOUT, Duration.ofMinutes(10));
      if (recoveryRetries < -1 || recoveryRetries > 1_000_000) {
        throw new IllegalArgumentException(
            "recoveryRetries must be -1 (forever) or 0 to 1000000, got " + recoveryRetries);
      }
      checkRange("hedgeMinDelay", hedgeMinDelay, Duration.ofMillis(1), Duration.ofSeconds(10));
      checkRange("hedgeMaxDelay", hedgeMaxDelay, hedgeMinDelay, Duration.ofSeconds(10));
      Objects.requireNonNull(answerDeadline, "answerDeadline");
      if (!answerDeadline.isZero()) {
        checkRange("answerDeadline", answerDeadline, Duration.ofMillis(10), MAX_TIMEOUT);
      }
      if (affinityGroup != null
          && (affinityGroup.isEmpty()
              || affinityGroup.length() > 64
              || affinityGroup.chars().anyMatch(c -> c <= ' ' || c == 0x7f))) {
        throw new IllegalArgumentException(
            "affinityGroup must be 1 to 64 printable characters without blanks, or null for the"
                + " registered member's group, got '"
                + affinityGroup
                + "'");
      }
      return new TransportOptions(this);
    }

    private static void checkRange(String name, int v, int min, int max) {
      if (v < min || v > max) {
        throw new IllegalArgumentException(name + " must be " + min + " to " + max + ", got " + v);
      }
    }

    private static void checkRange(String name, Duration v, Duration min, Duration max) {
      if (v == null || v.compareTo(min) < 0 || v.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            name
                + " must be "
                + human(min)
                + " to "
                + human(max)
                + ", got "
                + (v == null ? "null" : human(v)));
      }
    }

    private static String human(Duration d) {
      if (d.toNanos() % 1_000_000 != 0 && d.compareTo(Duration.ofSeconds(1)) < 0) {
        return d.toNanos() / 1000 + " µs";
      }
      if (d.toMillis() % 1000 != 0) {
        return d.toMillis() + " ms";
      }
      long s = d.getSeconds();
      if (s == 0) {
        return "0 s";
      }
      if (s % 3600 == 0) {
        return s / 3600 + " h";
      }
      if (s % 60 == 0) {
        return s / 60 + " min";
      }
      return s + " s";
    }
  }
}
