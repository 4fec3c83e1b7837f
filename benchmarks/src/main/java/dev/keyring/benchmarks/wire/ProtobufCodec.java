package dev.keyring.benchmarks.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;

/**
 * The Protocol Buffers wire format, written and read by hand with {@link CodedOutputStream} and
 * {@link CodedInputStream} (no generated code): what protoc's classes would put on the wire for
 *
 * <pre>
 * message SignRequest { uint32 id = 1; uint32 opcode = 2; string session = 3; uint64 key = 4;
 *                       uint32 mechanism = 5; bytes data = 6; }
 * message SignAnswer  { uint32 id = 1; uint32 opcode = 2; uint32 code = 3; bytes signature = 4; }
 * </pre>
 *
 * As proto3 does, a field at its default (0, empty) is left out and reads back as the default;
 * unknown fields are skipped. The message's size is computed first, so the frame is one array of
 * its exact size.
 */
final class ProtobufCodec implements WireCodec {
  static final String NAME = "protobuf";
  private static final byte[] EMPTY = new byte[0];

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte[] encodeRequest(SignRequest r) throws IOException {
    int size =
        uint32Size(1, r.id())
            + uint32Size(2, r.opcode())
            + (r.session().isEmpty() ? 0 : CodedOutputStream.computeStringSize(3, r.session()))
            + (r.key() == 0 ? 0 : CodedOutputStream.computeUInt64Size(4, r.key()))
            + uint32Size(5, r.mechanism())
            + (r.data().length == 0 ? 0 : CodedOutputStream.computeByteArraySize(6, r.data()));
    byte[] frame = new byte[4 + size];
    WireCodec.putLength(frame, size);
    CodedOutputStream out = CodedOutputStream.newInstance(frame, 4, size);
    uint32(out, 1, r.id());
    uint32(out, 2, r.opcode());
    if (!r.session().isEmpty()) {
      out.writeString(3, r.session());
    }
    if (r.key() != 0) {
      out.writeUInt64(4, r.key());
    }
    uint32(out, 5, r.mechanism());
    if (r.data().length != 0) {
      out.writeByteArray(6, r.data());
    }
    out.checkNoSpaceLeft();
    return frame;
  }

  @Override
  public SignRequest decodeRequest(byte[] frame) throws IOException {
    WireCodec.checkLength(frame);
    CodedInputStream in = CodedInputStream.newInstance(frame, 4, frame.length - 4);
    int id = 0;
    int opcode = 0;
    String session = "";
    long key = 0;
    int mechanism = 0;
    byte[] data = EMPTY;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1:
          id = in.readUInt32();
          break;
        case 2:
          opcode = in.readUInt32();
          break;
        case 3:
          session = in.readString();
          break;
        case 4:
          key = in.readUInt64();
          break;
        case 5:
          mechanism = in.readUInt32();
          break;
        case 6:
          data = in.readByteArray();
          break;
        default:
          in.skipField(tag);
      }
    }
    return new SignRequest(id, opcode, session, key, mechanism, data);
  }

  private static int uint32Size(int field, long value) {
    return value == 0 ? 0 : CodedOutputStream.computeUInt32Size(field, (int) value);
  }

  private static void uint32(CodedOutputStream out, int field, long value) throws IOException {
    if (value != 0) {
      out.writeUInt32(field, (int) value);
    }
  }

  @Override
  public byte[] encodeAnswer(SignAnswer a) throws IOException {
    int size =
        uint32Size(1, a.id())
            + uint32Size(2, a.opcode())
            + uint32Size(3, a.code())
            + (a.signature().length == 0
                ? 0
                : CodedOutputStream.computeByteArraySize(4, a.signature()));
    byte[] frame = new byte[4 + size];
    WireCodec.putLength(frame, size);
    CodedOutputStream out = CodedOutputStream.newInstance(frame, 4, size);
    uint32(out, 1, a.id());
    uint32(out, 2, a.opcode());
    uint32(out, 3, a.code());
    if (a.signature().length != 0) {
      out.writeByteArray(4, a.signature());
    }
    out.checkNoSpaceLeft();
    return frame;
  }

  @Override
  public SignAnswer decodeAnswer(byte[] frame) throws IOException {
    WireCodec.checkLength(frame);
    CodedInputStream in = CodedInputStream.newInstance(frame, 4, frame.length - 4);
    int id = 0;
    int opcode = 0;
    long code = 0;
    byte[] signature = EMPTY;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1:
          id = in.readUInt32();
          break;
        case 2:
          opcode = in.readUInt32();
          break;
        case 3:
          code = in.readUInt32() & 0xFFFF_FFFFL;
          break;
        case 4:
          signature = in.readByteArray();
          break;
        default:
          in.skipField(tag);
      }
    }
    return new SignAnswer(id, opcode, code, signature);
  }
}
