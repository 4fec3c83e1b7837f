package dev.keyring.protocol.channel;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The framing of the crypto channel (see {@code docs/crypto-channel.md}).
 *
 * <pre>
 * hello, both ways, once:  'K' 'R' 'C' 'H'  version (u8)
 * every frame after it:    length (u32, the bytes after this field)  id (u32)  opcode (u8)
 *                          flags (u8)  body (length - 6 bytes)
 * </pre>
 *
 * All integers are big-endian. The client sends its hello first; the member answers with its own
 * hello when it speaks that version, or with an {@link Opcode#ERROR} frame (id 0) naming the
 * versions it speaks, and closes. A length is checked against the reader's limit before anything is
 * allocated for the frame.
 */
public final class ChannelFrames {
  /** The version this code speaks. */
  public static final int VERSION = 1;

  /** The hello's first four bytes. */
  static final byte[] MAGIC = {'K', 'R', 'C', 'H'};

  /** Bytes of a hello. */
  public static final int HELLO_BYTES = 5;

  /** Bytes of a frame's header after its length: id, opcode, flags. */
  public static final int HEADER_BYTES = 10;

  /** A request's flag: the body starts with the client's read-your-writes position. */
  public static final int FLAG_POSITION = 0x01;

  /** A request's flag: only the primary may answer (others refuse with CKR_MEMBER_BEHIND). */
  public static final int FLAG_PRIMARY_ONLY = 0x02;

  /** The largest frame by default: a 16 MiB request body plus room for its fields. */
  public static final int DEFAULT_MAX_FRAME_BYTES = (16 << 20) + (64 << 10);

  private ChannelFrames() {}

  /** The hello of {@code version}. */
  public static byte[] hello(int version) {
    return new byte[] {MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], (byte) version};
  }

  /** Writes this code's hello. */
  public static void writeHello(OutputStream out) throws IOException {
    out.write(hello(VERSION));
    out.flush();
  }

  /**
   * Reads a hello and answers its version byte.
   *
   * @throws ChannelFormatException when the first bytes are not a hello
   * @throws EOFException when the stream ends inside it
   */
  public static int readHello(InputStream in) throws IOException {
    byte[] h = in.readNBytes(HELLO_BYTES);
    if (h.length < HELLO_BYTES) {
      throw new EOFException("the connection ended inside the channel hello");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (h[i] != MAGIC[i]) {
        throw new ChannelFormatException(
            "this is not a Keyring crypto channel: the hello must start with KRCH");
      }
    }
    return h[4] & 0xFF;
  }

  /**
   * Reads the next frame's length, checked against {@code maxFrameBytes} before anything is
   * allocated.
   *
   * @return the length, or -1 when the stream ended cleanly before a frame
   * @throws ChannelFormatException when the length is shorter than a header or over the limit
   * @throws EOFException when the stream ends inside the length
   */
  public static int readLength(InputStream in, int maxFrameBytes) throws IOException {
    int b0 = in.read();
    if (b0 < 0) {
      return -1;
    }
    int b1 = in.read();
    int b2 = in.read();
    int b3 = in.read();
    if ((b1 | b2 | b3) < 0) {
      throw new EOFException("the connection ended inside a frame's length");
    }
    long length = ((long) b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    if (length < HEADER_BYTES - 4) {
      throw new ChannelFormatException(
          "a frame of " + length + " bytes is shorter than a frame header (6 bytes)");
    }
    if (length > maxFrameBytes) {
      throw new ChannelFormatException(
          "a frame of "
              + length
              + " bytes is over the limit of "
              + maxFrameBytes
              + " bytes; send large data as a multi-part operation");
    }
    return (int) length;
  }

  /**
   * Reads the rest of a frame of {@code length} bytes (from {@link #readLength}).
   *
   * @throws EOFException when the stream ends inside it
   */
  public static Frame readFrame(InputStream in, int length) throws IOException {
    byte[] b = in.readNBytes(length);
    if (b.length < length) {
      throw new EOFException(
          "the connection ended inside a frame (" + b.length + " of " + length + " bytes)");
    }
    return new Frame(b);
  }

  /** Reads and throws away a frame of {@code length} bytes, without holding it. */
  public static void skipFrame(InputStream in, int length) throws IOException {
    long left = length;
    while (left > 0) {
      long n = in.skip(left);
      if (n <= 0) {
        if (in.read() < 0) {
          throw new EOFException("the connection ended inside a frame");
        }
        n = 1;
      }
      left -= n;
    }
  }
}
