package dev.keyring.sim.server;

import dev.keyring.sim.ApplianceConfig;
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
 *   <tr><td>cryptoPort</td><td>50052</td><td>crypto API (mutual TLS); 0 = any free port</td></tr>
 *   <tr><td>sessionIdleTimeout</td><td>10 min</td><td>crypto sessions idle longer are closed</td></tr>
 *   <tr><td>initialAdminPassword</td><td>none</td><td>the {@code admin} user's password on first
 *       start; without one a random password is written to {@code DATA/initial-admin-password}</td></tr>
 * </table>
 */
public final class MemberConfig {
  private final ApplianceConfig appliance;
  private final String bindAddress;
  private final int adminPort;
  private final int cryptoPort;
  private final Duration sessionIdleTimeout;
  private final String initialAdminPassword;

  private MemberConfig(Builder b) {
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

    private Builder() {}

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
      return new MemberConfig(this);
    }

    private static void checkPort(String name, int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(name + " must be 0 to 65535, got " + port);
      }
    }
  }
}
