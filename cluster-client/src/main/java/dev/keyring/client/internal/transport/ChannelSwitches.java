package dev.keyring.client.internal.transport;

import dev.keyring.protocol.SystemProperties;

/**
 * The crypto channel's two switches for measuring, read from system properties: whether frames are
 * coalesced ({@value FrameWriter#COALESCE_PROPERTY}) and whether a caller alone on its connection
 * reads its own answer ({@value ChannelWire#CALLER_READS_PROPERTY}). Each is true unless set to
 * {@code false}; any value other than {@code true} or {@code false} is refused, naming the
 * property.
 *
 * @param coalesce frames queued together go out in one write
 * @param callerReads a caller alone on its connection reads its own answer
 */
record ChannelSwitches(boolean coalesce, boolean callerReads) {
  /**
   * The switches as the system properties set them now.
   *
   * @throws IllegalArgumentException naming a property set to neither {@code true} nor {@code
   *     false}
   */
  static ChannelSwitches read() {
    return new ChannelSwitches(
        FrameWriter.coalescing(), SystemProperties.flag(ChannelWire.CALLER_READS_PROPERTY, true));
  }
}
