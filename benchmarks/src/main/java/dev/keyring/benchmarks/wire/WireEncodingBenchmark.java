package dev.keyring.benchmarks.wire;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.channel.Opcode;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The crypto channel's hot frame, a P-256 sign request and its answer, encoded into a frame and
 * decoded back into its fields, in three encodings carrying the same fields ({@link WireCodec}):
 *
 * <ul>
 *   <li>{@code tlv}: the channel's own length-prefixed binary bodies, through the protocol module's
 *       {@code ChannelCodec}, {@code FrameBuilder} and {@code FrameBody} ({@link TlvCodec});
 *   <li>{@code cbor}: Jackson's streaming CBOR generator and parser, a small map ({@link
 *       CborCodec});
 *   <li>{@code protobuf}: the Protocol Buffers wire format through {@code CodedOutputStream} and
 *       {@code CodedInputStream} by field number ({@link ProtobufCodec}).
 * </ul>
 *
 * <p>{@code signRequest}: request id, opcode SIGN, a session id of 32 ASCII characters (what a
 * member issues: 16 random bytes in hex), key handle, {@code CKM_ECDSA_SHA256} and a 32-byte
 * digest, encoded and decoded. {@code signAnswer}: request id, opcode, result code 0 and a 72-byte
 * DER signature, encoded and decoded. Average time per round trip; run with {@code -prof gc} for
 * the bytes allocated per operation ({@code gc.alloc.rate.norm}).
 *
 * <p>The setup decodes what each encoding wrote and fails the trial when a field does not come back
 * the same, so no row measures a broken codec; it prints the frame sizes of the encoding.
 *
 * <p>Run with {@code benchmarks/run.sh WireEncodingBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class WireEncodingBenchmark {

  /** The encoding measured. */
  @Param({TlvCodec.NAME, CborCodec.NAME, ProtobufCodec.NAME})
  public String encoding;

  private WireCodec codec;
  private SignRequest request;
  private SignAnswer answer;

  /** A session id as a member issues them: 16 random bytes in lower-case hex. */
  static final String SESSION = "9f3c2a7e41b84d0e9a6c5b1d7f3a9c2e";

  /** A sign request as the channel's client sends it for a P-256 key. */
  static SignRequest sampleRequest() {
    byte[] digest = new byte[32];
    for (int i = 0; i < digest.length; i++) {
      digest[i] = (byte) (i * 37 + 11);
    }
    return new SignRequest(
        70_001, Opcode.SIGN.code(), SESSION, 17L, (int) Mechanism.CKM_ECDSA_SHA256.value(), digest);
  }

  /** Its answer: a DER ECDSA P-256 signature of 72 bytes (both integers 33 bytes long). */
  static SignAnswer sampleAnswer() {
    byte[] der = new byte[72];
    der[0] = 0x30;
    der[1] = 70;
    der[2] = 0x02;
    der[3] = 33;
    der[4] = 0;
    for (int i = 5; i < 37; i++) {
      der[i] = (byte) (0x80 | i);
    }
    der[37] = 0x02;
    der[38] = 33;
    der[39] = 0;
    for (int i = 40; i < 72; i++) {
      der[i] = (byte) (0x90 | i);
    }
    return new SignAnswer(70_001, Opcode.SIGN.code(), 0, der);
  }

  /**
   * Encodes and decodes the sample request and answer with {@code codec}.
   *
   * @return the sizes of the request and answer frames
   * @throws IllegalStateException when a decoded field differs from what was encoded
   * @throws IOException when the codec fails
   */
  static int[] checkRoundTrip(WireCodec codec) throws IOException {
    SignRequest request = sampleRequest();
    byte[] requestFrame = codec.encodeRequest(request);
    SignRequest backRequest = codec.decodeRequest(requestFrame);
    if (!request.equals(backRequest)) {
      throw new IllegalStateException(
          codec.name()
              + " does not round-trip the request: "
              + request
              + " came back as "
              + backRequest);
    }
    SignAnswer answer = sampleAnswer();
    byte[] answerFrame = codec.encodeAnswer(answer);
    SignAnswer backAnswer = codec.decodeAnswer(answerFrame);
    if (!answer.equals(backAnswer)) {
      throw new IllegalStateException(
          codec.name()
              + " does not round-trip the answer: "
              + answer
              + " came back as "
              + backAnswer);
    }
    return new int[] {requestFrame.length, answerFrame.length};
  }

  /** Makes the codec and checks that it round-trips both messages. */
  @Setup
  public void setup() throws IOException {
    codec = WireCodec.named(encoding);
    int[] sizes = checkRoundTrip(codec);
    System.out.println(
        encoding
            + ": request frame "
            + sizes[0]
            + " bytes, answer frame "
            + sizes[1]
            + " bytes (length prefix included); both round-trip");
    request = sampleRequest();
    answer = sampleAnswer();
  }

  /** Encodes the sign request into a frame and decodes it back. */
  @Benchmark
  public SignRequest signRequest() throws IOException {
    return codec.decodeRequest(codec.encodeRequest(request));
  }

  /** Encodes the sign answer into a frame and decodes it back. */
  @Benchmark
  public SignAnswer signAnswer() throws IOException {
    return codec.decodeAnswer(codec.encodeAnswer(answer));
  }
}
