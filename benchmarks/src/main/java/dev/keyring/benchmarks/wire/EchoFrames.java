package dev.keyring.benchmarks.wire;

import dev.keyring.protocol.channel.Opcode;

/**
 * The frames of the wire benchmark's echo, laid out as crypto channel frames: length (u32, the
 * bytes after it), request id (u32), opcode (SIGN), flags (0), then filler standing for the body. A
 * request is {@value #REQUEST_BYTES} bytes on the wire (about a sign request with its session,
 * handle, mechanism and a 32-byte digest), its answer {@value #ANSWER_BYTES} bytes (the size of a
 * DER P-256 signature); both counts include the length field. Servers read the length and the id
 * only and answer under the same id.
 */
final class EchoFrames {
  /** Bytes of a request frame, its length field included. */
  static final int REQUEST_BYTES = 100;

  /** Bytes of an answer frame, its length field included. */
  static final int ANSWER_BYTES = 72;

  /** The largest batch of requests the client writes at once. */
  static final int MAX_BATCH = 64;

  private EchoFrames() {}

  /** Writes a request frame with {@code id} at {@code at} in {@code buf}. */
  static void putRequest(byte[] buf, int at, int id) {
    put(buf, at, REQUEST_BYTES, id);
  }

  /** Writes an answer frame with {@code id} at {@code at} in {@code buf}. */
  static void putAnswer(byte[] buf, int at, int id) {
    put(buf, at, ANSWER_BYTES, id);
  }

  /** A new answer frame with {@code id}. */
  static byte[] answer(int id) {
    byte[] a = new byte[ANSWER_BYTES];
    putAnswer(a, 0, id);
    return a;
  }

  private static void put(byte[] buf, int at, int frameBytes, int id) {
    putInt(buf, at, frameBytes - 4);
    putInt(buf, at + 4, id);
    buf[at + 8] = (byte) Opcode.SIGN.code();
    buf[at + 9] = 0;
    for (int i = 10; i < frameBytes; i++) {
      buf[at + i] = (byte) (i * 31 + id);
    }
  }

  static void putInt(byte[] buf, int at, int v) {
    buf[at] = (byte) (v >>> 24);
    buf[at + 1] = (byte) (v >>> 16);
    buf[at + 2] = (byte) (v >>> 8);
    buf[at + 3] = (byte) v;
  }

  static int getInt(byte[] buf, int at) {
    return ((buf[at] & 0xFF) << 24)
        | ((buf[at + 1] & 0xFF) << 16)
        | ((buf[at + 2] & 0xFF) << 8)
        | (buf[at + 3] & 0xFF);
  }

  /** The message for a frame length a server does not expect. */
  static String badRequestLength(int length) {
    return "a request frame of "
        + length
        + " bytes after its length field; the echo sends "
        + (REQUEST_BYTES - 4);
  }
}
