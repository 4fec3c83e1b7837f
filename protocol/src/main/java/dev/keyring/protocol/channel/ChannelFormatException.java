package dev.keyring.protocol.channel;

import java.io.IOException;

/**
 * What arrived on a crypto channel is not a well-formed frame or body: a length over the limit, a
 * frame cut short, a field that runs past its frame, an unknown opcode or version. The message says
 * which rule was broken and never repeats the bytes received.
 */
public final class ChannelFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public ChannelFormatException(String message) {
    super(message);
  }
}
