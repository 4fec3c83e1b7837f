package dev.keyring.protocol.channel;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ClusterPosition;

/**
 * One answer as the client reads it ({@link ChannelCodec#readAnswer}): the request id and opcode,
 * the result code, the member's log position when it reported one, and either the body of a success
 * or the message of a refusal.
 */
public final class ChannelAnswer {
  public final int id;
  public final Opcode opcode;
  public final ResultCode code;

  /** The numeric code as sent (a code this version does not name maps to CKR_GENERAL_ERROR). */
  public final long codeValue;

  public final ClusterPosition position;

  /** The refusal's message (null on success). */
  public final String message;

  /** The success's body (null on a refusal). */
  public final FrameBody body;

  ChannelAnswer(
      int id,
      Opcode opcode,
      long codeValue,
      ClusterPosition position,
      String message,
      FrameBody body) {
    this.id = id;
    this.opcode = opcode;
    this.codeValue = codeValue;
    this.code = ResultCode.fromValue(codeValue);
    this.position = position;
    this.message = message;
    this.body = body;
  }

  /** Whether the member did what was asked. */
  public boolean ok() {
    return codeValue == 0;
  }

  /** The refusal as the exception the REST client would throw. */
  public HsmException refusal() {
    return new HsmException(code, message == null ? "" : message);
  }

  @Override
  public String toString() {
    return "ChannelAnswer[" + id + " " + opcode + " " + code + "]";
  }
}
