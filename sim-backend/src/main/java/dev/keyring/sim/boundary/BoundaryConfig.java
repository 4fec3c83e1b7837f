package dev.keyring.sim.boundary;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Settings of the boundary. Immutable; built by {@link #builder()}, checked at {@link
 * Builder#build()}.
 */
public final class BoundaryConfig {
  private final Path deviceKeyFile;
  private final int maxCachedKeys;
  private final Map<EngineFamily, String> engineOverrides;

  private BoundaryConfig(Builder b) {
    this.deviceKeyFile = b.deviceKeyFile;
    this.maxCachedKeys = b.maxCachedKeys;
    this.engineOverrides = Map.copyOf(b.engineOverrides);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The file that stands for the HSM's internal key storage (holds the device key). */
  public Path deviceKeyFile() {
    return deviceKeyFile;
  }

  /** How many unwrapped keys the boundary keeps ready (default 10,000). */
  public int maxCachedKeys() {
    return maxCachedKeys;
  }

  /** Engines forced per family ({@code ACCP}, {@code BC} or {@code JDK}); empty by default. */
  public Map<EngineFamily, String> engineOverrides() {
    return engineOverrides;
  }

  @Override
  public String toString() {
    return "BoundaryConfig[deviceKeyFile="
        + deviceKeyFile
        + ", maxCachedKeys="
        + maxCachedKeys
        + ", engineOverrides="
        + engineOverrides
        + "]";
  }

  /** Collects settings. */
  public static final class Builder {
    private Path deviceKeyFile;
    private int maxCachedKeys = 10_000;
    private final Map<EngineFamily, String> engineOverrides = new EnumMap<>(EngineFamily.class);

    private Builder() {}

    public Builder deviceKeyFile(Path v) {
      this.deviceKeyFile = v;
      return this;
    }

    public Builder maxCachedKeys(int v) {
      this.maxCachedKeys = v;
      return this;
    }

    public Builder engine(EngineFamily family, String engine) {
      this.engineOverrides.put(family, engine.toUpperCase(Locale.ROOT));
      return this;
    }

    public BoundaryConfig build() {
      if (deviceKeyFile == null) {
        throw new IllegalArgumentException("deviceKeyFile is required");
      }
      if (maxCachedKeys < 0 || maxCachedKeys > 1_000_000) {
        throw new IllegalArgumentException(
            "maxCachedKeys must be between 0 and 1000000, got " + maxCachedKeys);
      }
      for (Map.Entry<EngineFamily, String> e : engineOverrides.entrySet()) {
        if (!Set.of("ACCP", "BC", "JDK").contains(e.getValue())) {
          throw new IllegalArgumentException(
              "engine for " + e.getKey() + " must be ACCP, BC or JDK, got " + e.getValue());
        }
      }
      return new BoundaryConfig(this);
    }
  }
}
