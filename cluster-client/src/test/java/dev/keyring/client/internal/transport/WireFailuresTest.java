package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException.Kind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.Test;

class WireFailuresTest {
  @Test
  void certificateAndHandshakeFailures_areNeverRepeated() {
    SSLHandshakeException pkix = new SSLHandshakeException("PKIX path building failed");
    pkix.initCause(new CertificateException("unable to find valid certification path"));
    assertFalse(WireFailures.transientFailure(pkix));
    assertFalse(
        WireFailures.transientFailure(
            new SSLPeerUnverifiedException("Hostname 127.0.0.1 not verified")));
    assertFalse(
        WireFailures.transientFailure(new SSLException("Received fatal alert: bad_certificate")));
    assertFalse(
        WireFailures.transientFailure(
            new IOException("wrapped", new CertificateException("revoked"))));
  }

  @Test
  void tlsRecordLayerBrokenByAReset_isAConnectionFailure() {
    SSLException reset =
        new SSLException("Connection reset", new SocketException("Connection reset"));
    assertTrue(WireFailures.transientFailure(reset));
    assertEquals(Kind.IO, WireFailures.kindOf(reset, true));
  }

  @Test
  void handshakeCutOffByThePeer_isAConnectionFailure_notATlsRefusal() {
    // a member that died behind a proxy: the proxy accepts, then closes mid-handshake
    SSLHandshakeException cutOff =
        new SSLHandshakeException("Remote host terminated the handshake");
    cutOff.initCause(new EOFException("SSL peer shut down incorrectly"));
    assertFalse(WireFailures.isTls(cutOff));
    assertTrue(WireFailures.transientFailure(cutOff));
    // a refused certificate stays a TLS failure
    SSLHandshakeException refused =
        new SSLHandshakeException("Received fatal alert: bad_certificate");
    assertTrue(WireFailures.isTls(refused));
  }

  @Test
  void callDeadlineOrInterrupt_isNotRepeated_butASocketTimeoutIs() {
    assertFalse(WireFailures.transientFailure(new InterruptedIOException("timeout")));
    assertTrue(WireFailures.transientFailure(new SocketTimeoutException("Read timed out")));
  }

  @Test
  void unknownHost_isNotRepeated() {
    assertFalse(WireFailures.transientFailure(new UnknownHostException("no.such.host")));
    assertEquals(Kind.CONNECT, WireFailures.kindOf(new UnknownHostException("x"), false));
  }

  @Test
  void brokenConnectionOrSocketTimeout_isTransient() {
    assertTrue(WireFailures.transientFailure(new EOFException("unexpected end of stream")));
    assertTrue(WireFailures.transientFailure(new SocketException("Broken pipe")));
    assertTrue(WireFailures.transientFailure(new ConnectException("refused")));
  }

  @Test
  void kinds_tellConnectFromIoFromTls() {
    assertEquals(Kind.CONNECT, WireFailures.kindOf(new ConnectException("refused"), false));
    assertEquals(Kind.IO, WireFailures.kindOf(new SocketException("Broken pipe"), true));
    assertEquals(Kind.CONNECT, WireFailures.kindOf(new SocketException("Broken pipe"), false));
    assertEquals(
        Kind.TLS, WireFailures.kindOf(new SSLHandshakeException("no cipher suites"), false));
  }
}
