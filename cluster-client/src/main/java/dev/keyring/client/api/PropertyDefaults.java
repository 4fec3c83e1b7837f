package dev.keyring.client.api;

import dev.keyring.protocol.SystemProperties;
import java.time.Duration;
import java.util.Locale;

/**
 * The defaults of the {@link TransportOptions} that a system property may set, so that clients
 * configured by file (the provider) can change them without code; each read when a builder is made,
 * a bad value refused naming the property.
 */
final class PropertyDefaults {
  private PropertyDefaults() {}

  /** {@value TransportOptions#CHANNEL_SPIN_PROPERTY} in microseconds, 0 to 1,000; else 200 µs. */
  static Duration channelSpin() {
    return Duration.ofNanos(
        1000
            * SystemProperties.wholeNumber(
                TransportOptions.CHANNEL_SPIN_PROPERTY,
                200,
                TransportOptions.MAX_CHANNEL_SPIN.toNanos() / 1000,
                "microseconds"));
  }

  /** {@value TransportOptions#CHANNEL_CONNECTIONS_PROPERTY}, 1 to 16; else 8. */
  static int channelConnections() {
    return (int)
        SystemProperties.wholeNumber(
            TransportOptions.CHANNEL_CONNECTIONS_PROPERTY,
            8,
            1,
            TransportOptions.MAX_CHANNEL_CONNECTIONS,
            "connections");
  }

  /** {@value TransportOptions#HEDGING_PROPERTY}, true or false; else true. */
  static boolean hedging() {
    return SystemProperties.flag(TransportOptions.HEDGING_PROPERTY, true);
  }

  /** {@value TransportOptions#WIRE_PROPERTY}, http or channel; else the channel. */
  static TransportOptions.Wire wire() {
    String v = System.getProperty(TransportOptions.WIRE_PROPERTY);
    if (v == null || v.isBlank()) {
      return TransportOptions.Wire.CHANNEL;
    }
    switch (v.strip().toLowerCase(Locale.ROOT)) {
      case "http":
        return TransportOptions.Wire.HTTP;
      case "channel":
        return TransportOptions.Wire.CHANNEL;
      default:
        throw new IllegalArgumentException(
            "system property "
                + TransportOptions.WIRE_PROPERTY
                + " must be http or channel, got '"
                + v
                + "'");
    }
  }
}
