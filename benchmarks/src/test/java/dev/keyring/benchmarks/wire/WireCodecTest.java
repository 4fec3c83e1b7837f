package dev.keyring.benchmarks.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.Opcode;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every encoding of the wire benchmark gives back the fields it was given, or refuses. */
class WireCodecTest {

  @ParameterizedTest
  @ValueSource(strings = {"tlv", "cbor", "protobuf"})
  void everyEncoding_roundTripsTheSignRequestAndItsAnswer(String name) throws IOException {
    WireCodec codec = WireCodec.named(name);
    int[] sizes = WireEncodingBenchmark.checkRoundTrip(codec);
    SignRequest request = WireEncodingBenchmark.sampleRequest();
    assertEquals(request, codec.decodeRequest(codec.encodeRequest(request)));
    SignAnswer answer = WireEncodingBenchmark.sampleAnswer();
    assertEquals(answer, codec.decodeAnswer(codec.encodeAnswer(answer)));
    assertTrue(sizes[0] > 32 + 32 && sizes[1] > 72, name + " frames: " + Arrays.toString(sizes));
  }

  @Test
  void tlv_writesTheChannelsOwnSignFrame() throws IOException {
    SignRequest r = WireEncodingBenchmark.sampleRequest();
    byte[] expected =
        ChannelCodec.crypto(
            r.id(),
            Opcode.SIGN,
            null,
            r.session(),
            r.key(),
            Mechanism.CKM_ECDSA_SHA256,
            MechanismParams.NONE,
            r.data(),
            null);
    assertArrayEquals(expected, WireCodec.named("tlv").encodeRequest(r));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tlv", "cbor", "protobuf"})
  void everyEncoding_refusesAFrameWhoseLengthPrefixIsWrong(String name) throws IOException {
    WireCodec codec = WireCodec.named(name);
    byte[] frame = codec.encodeRequest(WireEncodingBenchmark.sampleRequest());
    byte[] cut = Arrays.copyOf(frame, frame.length - 1);
    IOException e = assertThrows(IOException.class, () -> codec.decodeRequest(cut));
    assertTrue(e.getMessage().contains("length prefix"), e.getMessage());
  }

  @Test
  void cbor_refusesAMapThatLacksAField() throws IOException {
    CborCodec codec = new CborCodec();
    byte[] answer = codec.encodeAnswer(WireEncodingBenchmark.sampleAnswer());
    // the same map with the request's fields instead is not an answer
    byte[] request = codec.encodeRequest(WireEncodingBenchmark.sampleRequest());
    IOException e = assertThrows(IOException.class, () -> codec.decodeAnswer(request));
    assertTrue(e.getMessage().contains("CBOR sign answer"), e.getMessage());
    assertEquals(WireEncodingBenchmark.sampleAnswer(), codec.decodeAnswer(answer));
  }

  @Test
  void unknownEncoding_isRefusedWithTheKnownNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> WireCodec.named("json"));
    assertEquals("unknown encoding json; known: tlv, cbor, protobuf", e.getMessage());
  }
}
