package dev.keyring.client.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Client-wide HA settings from the {@code HAConfiguration} section.
 *
 * <ul>
 *   <li>{@code HAOnly}: {@link #haOnly()}, written {@code 1} or {@code 0}
 *   <li>{@code haLogStatus}: {@link #logEnabled()}, written {@code enabled} or {@code disabled}
 *   <li>{@code reconnAtt}: {@link #reconnectAttempts()}
 *   <li>{@code AutoReconnectInterval}: {@link #autoReconnectInterval()}, in whole seconds
 * </ul>
 *
 * <p>An absent {@code HAOnly} or {@code haLogStatus} reads as {@code false}; an absent {@code
 * reconnAtt} or {@code AutoReconnectInterval} stays empty, leaving the default to the code that
 * performs recovery. This record only carries the values; it does not act on them.
 *
 * @param haOnly whether only HA virtual slots are shown, hiding the member slots
 * @param logEnabled whether HA logging is on
 * @param reconnectAttempts how many times a failed member is tried again; {@code -1} for no limit
 * @param autoReconnectInterval the pause between recovery attempts, whole seconds, at least 1 s
 */
public record HaSettings(
    boolean haOnly,
    boolean logEnabled,
    OptionalInt reconnectAttempts,
    Optional<Duration> autoReconnectInterval) {

  /** All off, nothing set: what a file without an {@code HAConfiguration} section reads as. */
  public static final HaSettings NONE =
      new HaSettings(false, false, OptionalInt.empty(), Optional.empty());

  /**
   * Validates every component.
   *
   * @throws IllegalArgumentException naming the bad value and the rule
   */
  public HaSettings {
    Objects.requireNonNull(reconnectAttempts, "reconnectAttempts");
    Objects.requireNonNull(autoReconnectInterval, "autoReconnectInterval");
    if (reconnectAttempts.isPresent() && reconnectAttempts.getAsInt() < -1) {
      throw new IllegalArgumentException(
          "reconnectAttempts must be -1 (no limit) or ≥ 0, got " + reconnectAttempts.getAsInt());
    }
    autoReconnectInterval.ifPresent(
        d -> {
          if (d.getNano() != 0 || d.getSeconds() < 1) {
            throw new IllegalArgumentException(
                "autoReconnectInterval must be a whole number of seconds ≥ 1 s, got " + d);
          }
        });
  }

  /** Returns these settings with {@code HAOnly} changed. */
  public HaSettings withHaOnly(boolean on) {
    return new HaSettings(on, logEnabled, reconnectAttempts, autoReconnectInterval);
  }

  /** Returns these settings with {@code haLogStatus} changed. */
  public HaSettings withLogEnabled(boolean on) {
    return new HaSettings(haOnly, on, reconnectAttempts, autoReconnectInterval);
  }

  /** Returns these settings with {@code reconnAtt} set ({@code -1} for no limit). */
  public HaSettings withReconnectAttempts(int attempts) {
    return new HaSettings(haOnly, logEnabled, OptionalInt.of(attempts), autoReconnectInterval);
  }

  /** Returns these settings with {@code AutoReconnectInterval} set. */
  public HaSettings withAutoReconnectInterval(Duration interval) {
    return new HaSettings(haOnly, logEnabled, reconnectAttempts, Optional.of(interval));
  }
}
