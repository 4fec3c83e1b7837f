package dev.keyring.sim.channel;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.Opcode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Supplier;

/** The member's side of a channel connection's hello, before any request. */
final class ChannelHello {
  private ChannelHello() {}

  /** Why a connection is not admitted: the code and message of the refusal sent for the hello. */
  record Refusal(ResultCode code, String message) {}

  /**
   * Reads the client's hello from {@code in} and answers it on {@code o}: with the member's hello
   * when its version is spoken here and {@code admit} (which counts the connection) returns no
   * refusal, else with a refusal of the connection (request id 0) in its place.
   *
   * @return null when the hello was answered, else the reason of the refusal written (the caller
   *     closes the connection)
   */
  static String exchange(InputStream in, OutputStream o, Supplier<Refusal> admit)
      throws IOException {
    int version;
    try {
      version = ChannelFrames.readHello(in);
    } catch (ChannelFormatException e) {
      return refuse(o, ResultCode.CKR_ARGUMENTS_BAD, e.getMessage());
    }
    if (version != ChannelFrames.VERSION) {
      String m = "crypto channel version " + version + " is not spoken by this member; it speaks";
      m += " version " + ChannelFrames.VERSION;
      return refuse(o, ResultCode.CKR_FUNCTION_NOT_SUPPORTED, m);
    }
    Refusal refused = admit.get(); // before the hello: no request was sent
    if (refused != null) {
      return refuse(o, refused.code(), refused.message());
    }
    o.write(ChannelFrames.hello(ChannelFrames.VERSION));
    o.flush();
    return null;
  }

  private static String refuse(OutputStream o, ResultCode code, String message) throws IOException {
    o.write(ChannelCodec.refused(0, Opcode.ERROR, code.value(), message));
    o.flush();
    return message;
  }
}
