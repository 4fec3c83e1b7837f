package dev.keyring.protocol.channel;

/**
 * One frame as read: its request id, opcode byte (which this version may not know), flags and body.
 */
public final class Frame {
  private final byte[] bytes;

  /** A frame from its bytes after the length field: id, opcode, flags, body. */
  Frame(byte[] bytes) {
    if (bytes.length < ChannelFrames.HEADER_BYTES - 4) {
      throw new IllegalArgumentException("shorter than a frame header");
    }
    this.bytes = bytes;
  }

  /** A frame from the bytes {@link FrameBuilder#finish()} made (length field included). */
  public static Frame parse(byte[] withLength) {
    return new Frame(java.util.Arrays.copyOfRange(withLength, 4, withLength.length));
  }

  /** The request id in the first four bytes of {@code header} (a frame after its length). */
  public static int idOf(byte[] header) {
    return ((header[0] & 0xFF) << 24)
        | ((header[1] & 0xFF) << 16)
        | ((header[2] & 0xFF) << 8)
        | (header[3] & 0xFF);
  }

  public int id() {
    return ((bytes[0] & 0xFF) << 24)
        | ((bytes[1] & 0xFF) << 16)
        | ((bytes[2] & 0xFF) << 8)
        | (bytes[3] & 0xFF);
  }

  /** The opcode byte. */
  public int opcodeByte() {
    return bytes[4] & 0xFF;
  }

  /** The opcode, or null when this version does not know the byte. */
  public Opcode opcode() {
    return Opcode.of(opcodeByte());
  }

  public int flags() {
    return bytes[5] & 0xFF;
  }

  /** A cursor over the body. */
  public FrameBody body() {
    return new FrameBody(bytes, 6, bytes.length);
  }

  /** Bytes of the frame after its length field. */
  public int length() {
    return bytes.length;
  }
}
