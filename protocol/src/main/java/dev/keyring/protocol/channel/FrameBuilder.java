package dev.keyring.protocol.channel;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * Writes one frame: {@link #start} puts its header with room for the length, the {@code put}
 * methods its body, {@link #finish} the length. Not thread-safe; one builder per frame.
 */
public final class FrameBuilder {
  private byte[] buf;
  private int at;

  public FrameBuilder(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  /** A builder whose frame is {@code id}, {@code opcode}, {@code flags}. */
  public static FrameBuilder start(int id, Opcode opcode, int flags, int bodyCapacity) {
    FrameBuilder b = new FrameBuilder(ChannelFrames.HEADER_BYTES + bodyCapacity);
    b.i32(0); // the length, set by finish()
    b.i32(id);
    b.u8(opcode.code());
    b.u8(flags);
    return b;
  }

  private void ensure(int n) {
    if (at + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, at + n));
    }
  }

  public FrameBuilder u8(int v) {
    ensure(1);
    buf[at++] = (byte) v;
    return this;
  }

  public FrameBuilder u16(int v) {
    if (v < 0 || v > 0xFFFF) {
      throw new IllegalArgumentException("does not fit 16 bits: " + v);
    }
    ensure(2);
    buf[at++] = (byte) (v >>> 8);
    buf[at++] = (byte) v;
    return this;
  }

  public FrameBuilder i32(int v) {
    ensure(4);
    buf[at++] = (byte) (v >>> 24);
    buf[at++] = (byte) (v >>> 16);
    buf[at++] = (byte) (v >>> 8);
    buf[at++] = (byte) v;
    return this;
  }

  public FrameBuilder i64(long v) {
    ensure(8);
    for (int s = 56; s >= 0; s -= 8) {
      buf[at++] = (byte) (v >>> s);
    }
    return this;
  }

  public FrameBuilder uuid(UUID u) {
    return i64(u.getMostSignificantBits()).i64(u.getLeastSignificantBits());
  }

  public FrameBuilder raw(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, at, b.length);
    at += b.length;
    return this;
  }

  public FrameBuilder bytes8(byte[] b) {
    if (b.length > 0xFF) {
      throw new IllegalArgumentException("longer than 255 bytes: " + b.length);
    }
    return u8(b.length).raw(b);
  }

  public FrameBuilder bytes32(byte[] b) {
    return i32(b.length).raw(b);
  }

  public FrameBuilder text8(String s) {
    int n = s.length();
    if (n <= 0xFF && ascii(s)) {
      // the common case (session ids, methods): written in place, no encoded copy
      ensure(1 + n);
      buf[at++] = (byte) n;
      for (int i = 0; i < n; i++) {
        buf[at++] = (byte) s.charAt(i);
      }
      return this;
    }
    return bytes8(s.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** UTF-8 text of at most 65,535 bytes. */
  public FrameBuilder text16(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("longer than 65,535 bytes: " + b.length);
    }
    return u16(b.length).raw(b);
  }

  /** Sets the frame's length and returns its bytes, length field included. */
  public byte[] finish() {
    int length = at - 4;
    buf[0] = (byte) (length >>> 24);
    buf[1] = (byte) (length >>> 16);
    buf[2] = (byte) (length >>> 8);
    buf[3] = (byte) length;
    return at == buf.length ? buf : Arrays.copyOf(buf, at);
  }
}
