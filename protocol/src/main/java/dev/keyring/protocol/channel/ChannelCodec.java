package dev.keyring.protocol.channel;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.ClusterPosition;
import java.util.UUID;

/**
 * The bodies of the crypto channel's requests and answers (the framing is {@link ChannelFrames}).
 *
 * <pre>
 * request body   [position: cluster id (16), epoch (i64), sequence (i64)] when flag 0x01
 *   PING           nothing
 *   OPEN_SESSION   keyring (text16), then optionally the session id the client picked (text8;
 *                  without it the member picks one)
 *   LOGIN          session (text8), role (u8: 1 KRSO, 2 KRCO), password (text16)
 *   CLOSE_SESSION  session (text8)                              (never carries a position)
 *   SIGN, ENCRYPT, DECRYPT  session (text8), key (i64), mechanism ({@link MechanismCodec}),
 *                  data (u32 length + bytes)
 *   VERIFY         as SIGN, then signature (u32 length + bytes)
 *   JSON           method (text8), path (text16), the REST API's JSON body (the rest; may be empty)
 * answer body    code (u32: 0 done, else the PKCS#11 code of the refusal),
 *                [position as above] when flag 0x01, then
 *   refused        message (text16)
 *   PING, LOGIN, CLOSE_SESSION  nothing
 *   OPEN_SESSION   session (text8), keyring id (16), label (text16)
 *   SIGN, ENCRYPT, DECRYPT  the result (the rest)
 *   VERIFY         valid (u8: 1 valid, 0 not)
 *   JSON           the REST API's JSON answer (the rest; empty where REST answers 204)
 * </pre>
 *
 * text8 and text16 are UTF-8 preceded by a u8 or u16 length.
 */
public final class ChannelCodec {
  private static final int POSITION_BYTES = 32;

  private ChannelCodec() {}

  private static FrameBuilder request(
      int id, Opcode op, ClusterPosition pos, boolean primaryOnly, int body) {
    int flags =
        (pos != null ? ChannelFrames.FLAG_POSITION : 0)
            | (primaryOnly ? ChannelFrames.FLAG_PRIMARY_ONLY : 0);
    FrameBuilder b = FrameBuilder.start(id, op, flags, body + (pos != null ? POSITION_BYTES : 0));
    if (pos != null) {
      position(b, pos);
    }
    return b;
  }

  private static void position(FrameBuilder b, ClusterPosition pos) {
    b.uuid(pos.clusterId()).i64(pos.epoch()).i64(pos.sequence());
  }

  public static byte[] ping(int id) {
    return FrameBuilder.start(id, Opcode.PING, 0, 0).finish();
  }

  public static byte[] openSession(int id, ClusterPosition pos, String keyring) {
    return openSession(id, pos, keyring, null);
  }

  /**
   * An open of a session on {@code keyring} under the id {@code session} the client picked (null:
   * the member picks one), so that the client can close the session by its id even when the answer
   * never comes.
   */
  public static byte[] openSession(int id, ClusterPosition pos, String keyring, String session) {
    int size = 2 + keyring.length() * 3 + (session == null ? 0 : 1 + session.length() * 3);
    FrameBuilder b = request(id, Opcode.OPEN_SESSION, pos, false, size).text16(keyring);
    if (session != null) {
      b.text8(session);
    }
    return b.finish();
  }

  public static byte[] login(
      int id, ClusterPosition pos, String session, Role role, String password) {
    return request(id, Opcode.LOGIN, pos, false, 4 + session.length() + password.length() * 3)
        .text8(session)
        .u8(role == Role.KRSO ? 1 : 2)
        .text16(password)
        .finish();
  }

  public static byte[] closeSession(int id, String session) {
    return request(id, Opcode.CLOSE_SESSION, null, false, 1 + session.length())
        .text8(session)
        .finish();
  }

  /** SIGN, ENCRYPT, DECRYPT ({@code signature} null) or VERIFY. */
  public static byte[] crypto(
      int id,
      Opcode op,
      ClusterPosition pos,
      String session,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data,
      byte[] signature) {
    if (op != Opcode.SIGN && op != Opcode.VERIFY && op != Opcode.ENCRYPT && op != Opcode.DECRYPT) {
      throw new IllegalArgumentException("not a single-part crypto opcode: " + op);
    }
    if ((op == Opcode.VERIFY) != (signature != null)) {
      throw new IllegalArgumentException("a signature belongs to VERIFY, and VERIFY needs one");
    }
    // the exact size for ASCII session ids and the parameters' own size, so that finish() hands
    // over the builder's array instead of copying the frame (a longer frame grows as it is written)
    int size =
        1
            + session.length()
            + 8
            + MechanismCodec.size(params)
            + 4
            + data.length
            + (signature == null ? 0 : 4 + signature.length);
    FrameBuilder b = request(id, op, pos, false, size).text8(session).i64(key);
    MechanismCodec.write(b, mechanism, params);
    b.bytes32(data);
    if (signature != null) {
      b.bytes32(signature);
    }
    return b.finish();
  }

  public static byte[] json(
      int id, ClusterPosition pos, boolean primaryOnly, String method, String path, byte[] body) {
    return request(
            id,
            Opcode.JSON,
            pos,
            primaryOnly,
            3 + method.length() + path.length() * 3 + body.length)
        .text8(method)
        .text16(path)
        .raw(body)
        .finish();
  }

  /**
   * The request in {@code f}.
   *
   * @throws ChannelFormatException for an unknown opcode (or one that is not a request), or a body
   *     that does not hold its fields; the frame was read whole, so the connection may go on
   * @throws HsmException for a field that is well-formed but not valid (a mechanism not supported,
   *     a role that is not a keyring role)
   */
  public static ChannelRequest readRequest(Frame f) throws ChannelFormatException {
    Opcode op = f.opcode();
    if (op == null || op == Opcode.ERROR) {
      throw new ChannelFormatException(
          "unknown opcode 0x" + Integer.toHexString(f.opcodeByte()) + " in a request");
    }
    FrameBody in = f.body();
    int flags = f.flags();
    if ((flags & ~(ChannelFrames.FLAG_POSITION | ChannelFrames.FLAG_PRIMARY_ONLY)) != 0) {
      throw new ChannelFormatException("unknown request flags 0x" + Integer.toHexString(flags));
    }
    ClusterPosition pos =
        (flags & ChannelFrames.FLAG_POSITION) != 0 ? readPosition(in, "request position") : null;
    ChannelRequest r =
        new ChannelRequest(f.id(), op, pos, (flags & ChannelFrames.FLAG_PRIMARY_ONLY) != 0);
    switch (op) {
      case PING:
        break;
      case OPEN_SESSION:
        r.keyring = in.text16("keyring");
        if (in.remaining() > 0) {
          r.session = in.text8("session");
        }
        break;
      case LOGIN:
        {
          r.session = in.text8("session");
          int role = in.u8("role");
          if (role != 1 && role != 2) {
            throw new HsmException(
                ResultCode.CKR_USER_TYPE_INVALID, "role must be 1 (KRSO) or 2 (KRCO)");
          }
          r.role = role == 1 ? Role.KRSO : Role.KRCO;
          r.password = in.text16("password");
          break;
        }
      case CLOSE_SESSION:
        r.session = in.text8("session");
        break;
      case SIGN:
      case VERIFY:
      case ENCRYPT:
      case DECRYPT:
        {
          r.session = in.text8("session");
          r.key = in.i64("key handle");
          MechanismCodec.Read m = MechanismCodec.read(in);
          r.mechanism = m.mechanism();
          r.params = m.params();
          r.data = in.bytes32("data");
          if (op == Opcode.VERIFY) {
            r.signature = in.bytes32("signature");
          }
          break;
        }
      case JSON:
        r.method = in.text8("method");
        r.path = in.text16("path");
        r.json = in.rest();
        break;
      default:
        throw new ChannelFormatException("unknown opcode " + op);
    }
    in.requireEnd(op + " request");
    return r;
  }

  private static ClusterPosition readPosition(FrameBody in, String what)
      throws ChannelFormatException {
    UUID cluster = in.uuid(what);
    long epoch = in.i64(what);
    long sequence = in.i64(what);
    try {
      return new ClusterPosition(cluster, epoch, sequence);
    } catch (IllegalArgumentException e) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "the " + what + " is malformed");
    }
  }

  private static FrameBuilder answer(int id, Opcode op, ClusterPosition pos, int body) {
    FrameBuilder b =
        FrameBuilder.start(
            id,
            op,
            pos != null ? ChannelFrames.FLAG_POSITION : 0,
            4 + (pos != null ? POSITION_BYTES : 0) + body);
    b.i32(0);
    if (pos != null) {
      position(b, pos);
    }
    return b;
  }

  /** A success with no result. */
  public static byte[] done(int id, Opcode op, ClusterPosition pos) {
    return answer(id, op, pos, 0).finish();
  }

  /** A success whose result is {@code data} (sign, encrypt, decrypt; JSON). */
  public static byte[] result(int id, Opcode op, ClusterPosition pos, byte[] data) {
    return answer(id, op, pos, data.length).raw(data).finish();
  }

  public static byte[] verified(int id, ClusterPosition pos, boolean valid) {
    return answer(id, Opcode.VERIFY, pos, 1).u8(valid ? 1 : 0).finish();
  }

  public static byte[] sessionOpened(
      int id, ClusterPosition pos, String session, UUID keyringId, String label) {
    return answer(id, Opcode.OPEN_SESSION, pos, 64 + label.length() * 3)
        .text8(session)
        .uuid(keyringId)
        .text16(label)
        .finish();
  }

  /**
   * A refusal of request {@code id} (opcode {@link Opcode#ERROR} when the request's own was not
   * known) with {@code code} and {@code message} (cut to 4,096 characters).
   */
  public static byte[] refused(int id, Opcode opcode, long code, String message) {
    String text = message == null ? "" : message;
    if (text.length() > 4096) {
      text = text.substring(0, 4096); // 4,096 chars are at most 12,288 UTF-8 bytes
    }
    return FrameBuilder.start(id, opcode, 0, 6 + text.length() * 3)
        .i32((int) code)
        .text16(text)
        .finish();
  }

  /**
   * The answer in {@code f}.
   *
   * @throws ChannelFormatException when its body does not hold its fields
   */
  public static ChannelAnswer readAnswer(Frame f) throws ChannelFormatException {
    Opcode op = f.opcode();
    if (op == null) {
      throw new ChannelFormatException(
          "unknown opcode 0x" + Integer.toHexString(f.opcodeByte()) + " in an answer");
    }
    FrameBody in = f.body();
    long code = in.u32("result code");
    ClusterPosition pos =
        (f.flags() & ChannelFrames.FLAG_POSITION) != 0 ? readPosition(in, "answer position") : null;
    if (code != 0) {
      String message = in.text16("message");
      return new ChannelAnswer(f.id(), op, code, pos, message, null);
    }
    return new ChannelAnswer(f.id(), op, 0, pos, null, in);
  }
}
