package dev.keyring.protocol.channel;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * A cursor over the body of one frame. Every read checks that the field fits in what is left of the
 * frame, so a length inside a body can never make the reader allocate more than the frame already
 * holds; a field that runs past the end is a {@link ChannelFormatException} naming the field.
 */
public final class FrameBody {
  private final byte[] bytes;
  private final int end;
  private int at;

  FrameBody(byte[] bytes, int from, int end) {
    this.bytes = bytes;
    this.at = from;
    this.end = end;
  }

  /** A cursor over all of {@code bytes}. */
  public static FrameBody of(byte[] bytes) {
    return new FrameBody(bytes, 0, bytes.length);
  }

  /** Bytes not read yet. */
  public int remaining() {
    return end - at;
  }

  private void need(int n, String what) throws ChannelFormatException {
    if (n < 0 || n > end - at) {
      throw pastEnd(what, "");
    }
  }

  /** As {@link #need} for the length in front of field {@code what} (no name built unless due). */
  private void needLength(int n, String what) throws ChannelFormatException {
    if (n > end - at) {
      throw pastEnd(what, " length");
    }
  }

  private ChannelFormatException pastEnd(String what, String suffix) {
    return new ChannelFormatException(
        "the " + what + suffix + " runs past the end of its frame (" + (end - at) + " bytes left)");
  }

  private int lengthU8(String what) throws ChannelFormatException {
    needLength(1, what);
    return bytes[at++] & 0xFF;
  }

  private int lengthU16(String what) throws ChannelFormatException {
    needLength(2, what);
    int v = ((bytes[at] & 0xFF) << 8) | (bytes[at + 1] & 0xFF);
    at += 2;
    return v;
  }

  public int u8(String what) throws ChannelFormatException {
    need(1, what);
    return bytes[at++] & 0xFF;
  }

  public int u16(String what) throws ChannelFormatException {
    need(2, what);
    int v = ((bytes[at] & 0xFF) << 8) | (bytes[at + 1] & 0xFF);
    at += 2;
    return v;
  }

  public int i32(String what) throws ChannelFormatException {
    need(4, what);
    int v =
        ((bytes[at] & 0xFF) << 24)
            | ((bytes[at + 1] & 0xFF) << 16)
            | ((bytes[at + 2] & 0xFF) << 8)
            | (bytes[at + 3] & 0xFF);
    at += 4;
    return v;
  }

  public long u32(String what) throws ChannelFormatException {
    return i32(what) & 0xFFFF_FFFFL;
  }

  public long i64(String what) throws ChannelFormatException {
    need(8, what);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (bytes[at + i] & 0xFF);
    }
    at += 8;
    return v;
  }

  public UUID uuid(String what) throws ChannelFormatException {
    need(16, what);
    return new UUID(i64(what), i64(what));
  }

  /** {@code n} raw bytes, copied out. */
  public byte[] raw(int n, String what) throws ChannelFormatException {
    need(n, what);
    byte[] out = Arrays.copyOfRange(bytes, at, at + n);
    at += n;
    return out;
  }

  /** Bytes preceded by a u8 length. */
  public byte[] bytes8(String what) throws ChannelFormatException {
    return raw(lengthU8(what), what);
  }

  /** Bytes preceded by a u32 length. */
  public byte[] bytes32(String what) throws ChannelFormatException {
    needLength(4, what);
    long n =
        (((bytes[at] & 0xFF) << 24)
                | ((bytes[at + 1] & 0xFF) << 16)
                | ((bytes[at + 2] & 0xFF) << 8)
                | (bytes[at + 3] & 0xFF))
            & 0xFFFF_FFFFL;
    at += 4;
    if (n > end - at) {
      throw pastEnd(what, "");
    }
    return raw((int) n, what);
  }

  /** UTF-8 text preceded by a u8 length. */
  public String text8(String what) throws ChannelFormatException {
    int n = lengthU8(what);
    need(n, what);
    String s = new String(bytes, at, n, StandardCharsets.UTF_8);
    at += n;
    return s;
  }

  /** UTF-8 text preceded by a u16 length. */
  public String text16(String what) throws ChannelFormatException {
    int n = lengthU16(what);
    need(n, what);
    String s = new String(bytes, at, n, StandardCharsets.UTF_8);
    at += n;
    return s;
  }

  /** Everything left, copied out. */
  public byte[] rest() {
    byte[] out = Arrays.copyOfRange(bytes, at, end);
    at = end;
    return out;
  }

  /** Refuses bytes left over after the last field. */
  public void requireEnd(String what) throws ChannelFormatException {
    if (at != end) {
      throw new ChannelFormatException(
          "the " + what + " has " + (end - at) + " bytes after its last field");
    }
  }
}
