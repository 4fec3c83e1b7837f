package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.ChannelFrames;
import java.io.IOException;
import java.io.InputStream;
import javax.net.ssl.SSLException;

/**
 * What a crypto channel connection's failures are, by the step they happened at ({@link
 * ChannelWire}).
 */
final class ChannelWireFailures {
  private ChannelWireFailures() {}

  /**
   * How a request left without an answer fails when the member ended the connection with its
   * goodbye (a frame of id 0, {@code CKR_DEVICE_REMOVED}: it stops, and served none of them):
   * CONNECT and never sent, so that it goes to another member, a write included.
   */
  static final class NotServed extends IOException {
    private static final long serialVersionUID = 1L;

    NotServed(String message) {
      super(message);
    }
  }

  /** No TCP connection could be made: CONNECT, never sent; transient unless the host is unknown. */
  static TransportException connectFailure(String name, IOException e) {
    return new TransportException(
        Kind.CONNECT,
        name
            + ": no crypto channel connection could be made: "
            + e.getMessage()
            + "; is the member up and its channel port right?",
        e,
        false,
        !(e instanceof java.net.UnknownHostException));
  }

  /** The connection broke while it was set up (handshake, hellos): CONNECT, never sent. */
  static TransportException brokeBeforeRequests(String name, IOException e) {
    return new TransportException(
        Kind.CONNECT,
        name + ": the crypto channel connection broke before any request: " + e.getMessage(),
        e,
        false,
        true);
  }

  /**
   * What a failed TLS handshake is: a refusal (a certificate, a name, an alert) is TLS and not
   * repeated; a handshake the peer broke off by closing or resetting the connection ("Remote host
   * terminated the handshake": a member that went away behind a proxy or load balancer, which
   * accepted the TCP connection for it) is CONNECT, never sent and transient, as over HTTP ({@link
   * WireFailures#isTls}), so that the call goes to another member.
   */
  static TransportException handshakeFailure(String name, SSLException e) {
    if (!WireFailures.isTls(e)) {
      return new TransportException(
          Kind.CONNECT,
          name
              + ": the crypto channel connection was closed during its TLS handshake: "
              + e.getMessage()
              + "; is the member up?",
          e,
          false,
          true);
    }
    return new TransportException(
        Kind.TLS,
        name
            + ": the crypto channel's TLS handshake failed: "
            + e.getMessage()
            + "; check that the client certificate was issued by this cluster and is not"
            + " revoked",
        e,
        false,
        false);
  }

  /**
   * What came instead of a hello: the member's refusal of the connection (request id 0) with its
   * code and message, CONNECT, never sent and transient when the member holds as many connections
   * of this client as it may ({@code CKR_DEVICE_MEMORY}: another member, or this one later, takes
   * the call), else PROTOCOL; or bytes of something that is no Keyring member's channel.
   */
  static TransportException refusedHello(InputStream in, String name, ChannelFormatException e) {
    ChannelAnswer refusal = null;
    try {
      int length = ChannelFrames.readLength(in, 64 << 10);
      if (length > 0) {
        refusal = ChannelCodec.readAnswer(ChannelFrames.readFrame(in, length));
      }
    } catch (IOException | RuntimeException notAFrame) {
      // not the member's refusal
    }
    if (refusal != null && refusal.id == 0 && refusal.code != null) {
      // too many connections of this client, or the member stopping: another member takes it
      boolean busy =
          refusal.code == dev.keyring.protocol.ResultCode.CKR_DEVICE_MEMORY
              || refusal.code == dev.keyring.protocol.ResultCode.CKR_DEVICE_REMOVED;
      return new TransportException(
          busy ? Kind.CONNECT : Kind.PROTOCOL,
          name
              + ": the member refused the crypto channel connection: "
              + refusal.code
              + " "
              + refusal.message,
          e,
          false,
          busy);
    }
    return new TransportException(
        Kind.PROTOCOL,
        name
            + ": the member refused the crypto channel hello or is not a Keyring member's channel"
            + " port",
        e,
        false,
        false);
  }

  /**
   * The failure of a request whose frame could not be written: IO and sent when the write that
   * carried it (alone or with other threads' frames) failed, since some of it may have reached the
   * member (never repeated here; the layer above decides by {@code CallKind}); CONNECT and never
   * sent when an earlier write had failed before its frame was taken ({@link
   * FrameWriter.NotWrittenException}).
   */
  static TransportException writeFailure(String name, String what, IOException e) {
    if (e instanceof FrameWriter.NotWrittenException) {
      return new TransportException(
          Kind.CONNECT,
          name
              + ": "
              + what
              + " not sent: the crypto channel connection is closed ("
              + e.getMessage()
              + ")",
          e,
          false,
          true);
    }
    return new TransportException(
        Kind.IO, name + ": " + what + " failed: " + e.getMessage(), e, true, true);
  }
}
