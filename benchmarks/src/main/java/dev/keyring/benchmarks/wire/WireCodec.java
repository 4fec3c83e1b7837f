package dev.keyring.benchmarks.wire;

import java.io.IOException;

/**
 * One encoding of the sign request and its answer, as whole frames on the wire: a 4-byte big-endian
 * length (the bytes after it), then the encoded fields. The crypto channel's own frames start with
 * that length; the other encodings get the same prefix, which a stream needs to find where a
 * message ends, so that every row measures a frame as it would be written and read.
 */
public interface WireCodec {

  /** The name of the encoding, as {@link WireEncodingBenchmark}'s {@code encoding} parameter. */
  String name();

  /**
   * The frame carrying {@code request}.
   *
   * @throws IOException when the encoder fails
   */
  byte[] encodeRequest(SignRequest request) throws IOException;

  /**
   * The request in {@code frame}.
   *
   * @throws IOException when the frame does not hold a sign request
   */
  SignRequest decodeRequest(byte[] frame) throws IOException;

  /**
   * The frame carrying {@code answer}.
   *
   * @throws IOException when the encoder fails
   */
  byte[] encodeAnswer(SignAnswer answer) throws IOException;

  /**
   * The answer in {@code frame}.
   *
   * @throws IOException when the frame does not hold a sign answer
   */
  SignAnswer decodeAnswer(byte[] frame) throws IOException;

  /**
   * The codec of {@code name}: {@code tlv}, {@code cbor} or {@code protobuf}.
   *
   * @throws IllegalArgumentException for any other name
   */
  static WireCodec named(String name) {
    switch (name) {
      case TlvCodec.NAME:
        return new TlvCodec();
      case CborCodec.NAME:
        return new CborCodec();
      case ProtobufCodec.NAME:
        return new ProtobufCodec();
      default:
        throw new IllegalArgumentException(
            "unknown encoding " + name + "; known: tlv, cbor, protobuf");
    }
  }

  /** Writes {@code length} big-endian into the first four bytes of {@code frame}. */
  static void putLength(byte[] frame, int length) {
    frame[0] = (byte) (length >>> 24);
    frame[1] = (byte) (length >>> 16);
    frame[2] = (byte) (length >>> 8);
    frame[3] = (byte) length;
  }

  /**
   * Checks that the length prefix of {@code frame} covers exactly the rest of it.
   *
   * @throws IOException when it does not
   */
  static void checkLength(byte[] frame) throws IOException {
    if (frame.length < 4) {
      throw new IOException("a frame of " + frame.length + " bytes has no length prefix");
    }
    int length =
        ((frame[0] & 0xFF) << 24)
            | ((frame[1] & 0xFF) << 16)
            | ((frame[2] & 0xFF) << 8)
            | (frame[3] & 0xFF);
    if (length != frame.length - 4) {
      throw new IOException(
          "the length prefix says " + length + " bytes, the frame has " + (frame.length - 4));
    }
  }
}
