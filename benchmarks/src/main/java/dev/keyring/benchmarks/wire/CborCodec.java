package dev.keyring.benchmarks.wire;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * CBOR through Jackson's streaming {@link CBORGenerator} and {@link CBORParser} (no data binding):
 * each message is a map of definite length with short text keys ({@code id}, {@code op}, {@code
 * session}, {@code key}, {@code mech}, {@code data}; the answer {@code id}, {@code op}, {@code
 * code}, {@code sig}), integers in their shortest form, byte strings for the binary fields.
 *
 * <p>One codec per thread: it keeps its output buffer across messages (reset for each), so a frame
 * costs one array of its exact size, as the crypto channel's own frames do.
 */
final class CborCodec implements WireCodec {
  static final String NAME = "cbor";
  private static final byte[] NO_LENGTH_YET = new byte[4];
  private static final int REQUEST_FIELDS = 0b111111;
  private static final int ANSWER_FIELDS = 0b1111;

  private final CBORFactory factory = new CBORFactory();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

  @Override
  public String name() {
    return NAME;
  }

  private CBORGenerator start() throws IOException {
    out.reset();
    out.write(NO_LENGTH_YET, 0, 4);
    return factory.createGenerator(out);
  }

  private byte[] finish() {
    byte[] frame = out.toByteArray();
    WireCodec.putLength(frame, frame.length - 4);
    return frame;
  }

  @Override
  public byte[] encodeRequest(SignRequest r) throws IOException {
    try (CBORGenerator g = start()) {
      g.writeStartObject(r, 6);
      g.writeFieldName("id");
      g.writeNumber(r.id());
      g.writeFieldName("op");
      g.writeNumber(r.opcode());
      g.writeFieldName("session");
      g.writeString(r.session());
      g.writeFieldName("key");
      g.writeNumber(r.key());
      g.writeFieldName("mech");
      g.writeNumber(r.mechanism());
      g.writeFieldName("data");
      g.writeBinary(r.data());
      g.writeEndObject();
    }
    return finish();
  }

  @Override
  public SignRequest decodeRequest(byte[] frame) throws IOException {
    WireCodec.checkLength(frame);
    try (CBORParser p = factory.createParser(frame, 4, frame.length - 4)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("a CBOR sign request must be a map");
      }
      int id = 0;
      int opcode = 0;
      String session = null;
      long key = 0;
      int mechanism = 0;
      byte[] data = null;
      int seen = 0;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        switch (name) {
          case "id":
            id = p.getIntValue();
            seen |= 1;
            break;
          case "op":
            opcode = p.getIntValue();
            seen |= 2;
            break;
          case "session":
            session = p.getText();
            seen |= 4;
            break;
          case "key":
            key = p.getLongValue();
            seen |= 8;
            break;
          case "mech":
            mechanism = p.getIntValue();
            seen |= 16;
            break;
          case "data":
            data = p.getBinaryValue();
            seen |= 32;
            break;
          default:
            throw new IOException("unknown field " + name + " in a CBOR sign request");
        }
      }
      end(p, t, seen, REQUEST_FIELDS, "request");
      return new SignRequest(id, opcode, session, key, mechanism, data);
    }
  }

  private static void end(CBORParser p, JsonToken t, int seen, int all, String what)
      throws IOException {
    if (t != JsonToken.END_OBJECT) {
      throw new IOException("the CBOR sign " + what + " map is cut short");
    }
    if (seen != all) {
      throw new IOException(
          "the CBOR sign " + what + " lacks fields (seen 0b" + Integer.toBinaryString(seen) + ")");
    }
    if (p.nextToken() != null) {
      throw new IOException("bytes after the CBOR sign " + what);
    }
  }

  @Override
  public byte[] encodeAnswer(SignAnswer a) throws IOException {
    try (CBORGenerator g = start()) {
      g.writeStartObject(a, 4);
      g.writeFieldName("id");
      g.writeNumber(a.id());
      g.writeFieldName("op");
      g.writeNumber(a.opcode());
      g.writeFieldName("code");
      g.writeNumber(a.code());
      g.writeFieldName("sig");
      g.writeBinary(a.signature());
      g.writeEndObject();
    }
    return finish();
  }

  @Override
  public SignAnswer decodeAnswer(byte[] frame) throws IOException {
    WireCodec.checkLength(frame);
    try (CBORParser p = factory.createParser(frame, 4, frame.length - 4)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("a CBOR sign answer must be a map");
      }
      int id = 0;
      int opcode = 0;
      long code = 0;
      byte[] signature = null;
      int seen = 0;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        switch (name) {
          case "id":
            id = p.getIntValue();
            seen |= 1;
            break;
          case "op":
            opcode = p.getIntValue();
            seen |= 2;
            break;
          case "code":
            code = p.getLongValue();
            seen |= 4;
            break;
          case "sig":
            signature = p.getBinaryValue();
            seen |= 8;
            break;
          default:
            throw new IOException("unknown field " + name + " in a CBOR sign answer");
        }
      }
      end(p, t, seen, ANSWER_FIELDS, "answer");
      return new SignAnswer(id, opcode, code, signature);
    }
  }
}
