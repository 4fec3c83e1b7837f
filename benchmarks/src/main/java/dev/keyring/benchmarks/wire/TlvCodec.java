package dev.keyring.benchmarks.wire;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.channel.Frame;
import dev.keyring.protocol.channel.Opcode;
import java.io.IOException;

/**
 * The crypto channel's own encoding, through the protocol module's real classes: {@link
 * ChannelCodec#crypto} builds the SIGN frame (with {@code FrameBuilder}), {@link
 * ChannelCodec#readRequest} reads it back (through {@code FrameBody}); {@link ChannelCodec#result}
 * and {@link ChannelCodec#readAnswer} do the same for the answer. Decoding starts with {@link
 * Frame#parse}, which copies the frame after its length field once, as the member's reader holds a
 * frame it read off the stream.
 */
final class TlvCodec implements WireCodec {
  static final String NAME = "tlv";
  private static final Mechanism[] MECHANISMS = Mechanism.values();

  @Override
  public String name() {
    return NAME;
  }

  private static Mechanism mechanism(int value) throws IOException {
    for (Mechanism m : MECHANISMS) {
      if (m.value() == (value & 0xFFFF_FFFFL)) {
        return m;
      }
    }
    throw new IOException("no mechanism 0x" + Integer.toHexString(value));
  }

  private static Opcode opcode(int code) throws IOException {
    Opcode op = Opcode.of(code);
    if (op == null) {
      throw new IOException("no opcode 0x" + Integer.toHexString(code));
    }
    return op;
  }

  @Override
  public byte[] encodeRequest(SignRequest r) throws IOException {
    return ChannelCodec.crypto(
        r.id(),
        opcode(r.opcode()),
        null,
        r.session(),
        r.key(),
        mechanism(r.mechanism()),
        MechanismParams.NONE,
        r.data(),
        null);
  }

  @Override
  public SignRequest decodeRequest(byte[] frame) throws IOException {
    WireCodec.checkLength(frame);
    ChannelRequest r = ChannelCodec.readRequest(Frame.parse(frame));
    if (r.params != MechanismParams.NONE) {
      throw new ChannelFormatException("a sign request with mechanism parameters: " + r.params);
    }
    return new SignRequest(
        r.id, r.opcode.code(), r.session, r.key, (int) r.mechanism.value(), r.data);
  }

  @Override
  public byte[] encodeAnswer(SignAnswer a) throws IOException {
    if (a.code() != 0) {
      throw new IllegalArgumentException("only a success is encoded here, not code " + a.code());
    }
    return ChannelCodec.result(a.id(), opcode(a.opcode()), null, a.signature());
  }

  @Override
  public SignAnswer decodeAnswer(byte[] frame) throws IOException {
    WireCodec.checkLength(frame);
    ChannelAnswer a = ChannelCodec.readAnswer(Frame.parse(frame));
    if (!a.ok()) {
      throw new ChannelFormatException("a refusal: " + a.codeValue + " " + a.message);
    }
    return new SignAnswer(a.id, a.opcode.code(), a.codeValue, a.body.rest());
  }
}
