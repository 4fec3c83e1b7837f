package dev.keyring.sim;

import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.store.StoreConfig;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of one simulated appliance. Immutable; built by {@link #builder()}, checked at {@link
 * Builder#build()}.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>dataDir</td><td>(required)</td><td>the member's directory, made owner-only (700) when the
 *       appliance opens: {@code store/} (H2, owner-only too) and
 *       {@code hsm/device.key}</td></tr>
 *   <tr><td>store</td><td>H2 file in {@code dataDir/store}</td><td>another database, e.g.
 *       PostgreSQL</td></tr>
 *   <tr><td>kdfIterations</td><td>310,000</td><td>PBKDF2 cost of password verifiers (1,000 to
 *       10,000,000)</td></tr>
 *   <tr><td>maxCachedKeys</td><td>10,000</td><td>unwrapped keys kept ready in the boundary</td></tr>
 *   <tr><td>ticker</td><td>{@link Ticker#SYSTEM}</td><td>the time every timeout, heartbeat,
 *       lockout window and record date reads (a fake in tests)</td></tr>
 * </table>
 */
public final class ApplianceConfig {
  private final Path dataDir;
  private final StoreConfig store;
  private final int kdfIterations;
  private final int maxCachedKeys;
  private final Ticker ticker;

  private ApplianceConfig(Builder b) {
    this.dataDir = b.dataDir;
    this.store = b.store != null ? b.store : StoreConfig.h2File(b.dataDir.resolve("store"));
    this.kdfIterations = b.kdfIterations;
    this.maxCachedKeys = b.maxCachedKeys;
    this.ticker = b.ticker;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Path dataDir() {
    return dataDir;
  }

  public StoreConfig store() {
    return store;
  }

  public int kdfIterations() {
    return kdfIterations;
  }

  public int maxCachedKeys() {
    return maxCachedKeys;
  }

  public Ticker ticker() {
    return ticker;
  }

  /** Collects settings. */
  public static final class Builder {
    private Path dataDir;
    private StoreConfig store;
    private int kdfIterations = PasswordHasher.DEFAULT_ITERATIONS;
    private int maxCachedKeys = 10_000;
    private Ticker ticker = Ticker.SYSTEM;

    private Builder() {}

    public Builder dataDir(Path v) {
      this.dataDir = v;
      return this;
    }

    public Builder store(StoreConfig v) {
      this.store = v;
      return this;
    }

    public Builder kdfIterations(int v) {
      this.kdfIterations = v;
      return this;
    }

    public Builder maxCachedKeys(int v) {
      this.maxCachedKeys = v;
      return this;
    }

    public Builder ticker(Ticker v) {
      this.ticker = Objects.requireNonNull(v, "ticker");
      return this;
    }

    public ApplianceConfig build() {
      if (dataDir == null) {
        throw new IllegalArgumentException("dataDir is required");
      }
      if (kdfIterations < PasswordHasher.MIN_ITERATIONS || kdfIterations > 10_000_000) {
        throw new IllegalArgumentException(
            "kdfIterations must be between "
                + PasswordHasher.MIN_ITERATIONS
                + " and 10000000, got "
                + kdfIterations);
      }
      if (maxCachedKeys < 0 || maxCachedKeys > 1_000_000) {
        throw new IllegalArgumentException(
            "maxCachedKeys must be between 0 and 1000000, got " + maxCachedKeys);
      }
      return new ApplianceConfig(this);
    }
  }
}
