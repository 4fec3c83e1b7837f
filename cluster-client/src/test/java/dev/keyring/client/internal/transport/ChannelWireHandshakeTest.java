package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import java.io.EOFException;
import java.net.SocketException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * A crypto channel handshake broken off by the peer (a member gone behind a fault proxy or load
 * balancer, which accepted the connection for it) is a connection failure the call recovers from on
 * another member, as over HTTP; a refused certificate stays a TLS failure, never repeated.
 */
class ChannelWireHandshakeTest {
  @Test
  void handshakeClosedByThePeer_isConnect_neverSent_andTransient() {
    SSLHandshakeException cutOff =
        new SSLHandshakeException("Remote host terminated the handshake");
    cutOff.initCause(new EOFException("SSL peer shut down incorrectly"));
    TransportException e = ChannelWireFailures.handshakeFailure("member m1 channel :1", cutOff);
    assertEquals(Kind.CONNECT, e.kind());
    assertFalse(e.requestSent());
    assertTrue(e.transientFailure());
    assertTrue(e.getMessage().contains("closed during its TLS handshake"), e.getMessage());

    SSLHandshakeException reset = new SSLHandshakeException("Connection reset");
    reset.initCause(new SocketException("Connection reset"));
    assertEquals(Kind.CONNECT, ChannelWireFailures.handshakeFailure("m", reset).kind());
  }

  @Test
  void refusedCertificate_isTls_andNotRepeated() {
    SSLHandshakeException refused =
        new SSLHandshakeException("Received fatal alert: bad_certificate");
    TransportException e = ChannelWireFailures.handshakeFailure("member m1 channel :1", refused);
    assertEquals(Kind.TLS, e.kind());
    assertFalse(e.requestSent());
    assertFalse(e.transientFailure());
    assertTrue(e.getMessage().contains("TLS handshake failed"), e.getMessage());
  }
}
