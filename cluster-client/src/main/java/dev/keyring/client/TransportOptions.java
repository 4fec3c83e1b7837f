package dev.keyring.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How the client talks to a cluster member: HTTP version, timeouts and connection pool. Immutable;
 * built by {@link #builder()} and checked at {@link Builder#build()}.
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
 *   <tr><td>keepAlive</td><td>5 min</td><td>1 s to 1 h an idle connection is kept</td></tr>
 * </table>
 */
public final class TransportOptions {
  /** The HTTP version spoken over TLS. */
  public enum HttpVersion {
    /** One request at a time per connection; the pool opens more connections under load. */
    HTTP_1_1,
    /** Negotiated with ALPN; many requests share one connection. */
    HTTP_2
  }

  private static final TransportOptions DEFAULTS = builder().build();

  private final HttpVersion httpVersion;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final Duration writeTimeout;
  private final Duration callTimeout;
  private final int maxIdleConnections;
  private final Duration keepAlive;

  private TransportOptions(Builder b) {
    this.httpVersion = b.httpVersion;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.writeTimeout = b.writeTimeout;
    this.callTimeout = b.callTimeout;
    this.maxIdleConnections = b.maxIdleConnections;
    this.keepAlive = b.keepAlive;
  }

  /** The defaults in the table above. */
  public static TransportOptions defaults() {
    return DEFAULTS;
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
        .keepAlive(keepAlive);
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

  public Duration keepAlive() {
    return keepAlive;
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
        + ", keepAlive="
        + keepAlive
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
    private Duration keepAlive = Duration.ofMinutes(5);

    private Builder() {}

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

    public Builder keepAlive(Duration v) {
      this.keepAlive = v;
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
      checkRange("connectTimeout", connectTimeout, MIN_TIMEOUT, Duration.ofMinutes(5));
      checkRange("readTimeout", readTimeout, MIN_TIMEOUT, MAX_TIMEOUT);
      checkRange("writeTimeout", writeTimeout, MIN_TIMEOUT, MAX_TIMEOUT);
      Objects.requireNonNull(callTimeout, "callTimeout");
      if (!callTimeout.isZero()) {
        checkRange("callTimeout", callTimeout, MIN_TIMEOUT, MAX_TIMEOUT);
      }
      if (maxIdleConnections < 1 || maxIdleConnections > 256) {
        throw new IllegalArgumentException(
            "maxIdleConnections must be 1 to 256, got " + maxIdleConnections);
      }
      checkRange("keepAlive", keepAlive, Duration.ofSeconds(1), MAX_TIMEOUT);
      return new TransportOptions(this);
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
