package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.TransportException.Kind;
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

class RetryRulesTest {
  @Test
  void certificateAndHandshakeFailures_areNeverRepeated() {
    SSLHandshakeException pkix = new SSLHandshakeException("PKIX path building failed");
    pkix.initCause(new CertificateException("unable to find valid certification path"));
    assertFalse(RetryRules.recoverable(pkix));
    assertFalse(
        RetryRules.recoverable(new SSLPeerUnverifiedException("Hostname 127.0.0.1 not verified")));
    assertFalse(RetryRules.recoverable(new SSLException("Received fatal alert: bad_certificate")));
    assertFalse(
        RetryRules.recoverable(new IOException("wrapped", new CertificateException("revoked"))));
    assertFalse(RetryRules.shouldRetry(pkix, 0, false, true), "not even when nothing was sent");
  }

  @Test
  void tlsRecordLayerBrokenByAReset_isAConnectionFailure() {
    SSLException reset =
        new SSLException("Connection reset", new SocketException("Connection reset"));
    assertTrue(RetryRules.recoverable(reset));
    assertEquals(Kind.IO, RetryRules.kindOf(reset, true));
  }

  @Test
  void handshakeCutOffByThePeer_isAConnectionFailure_notATlsRefusal() {
    // a member that died behind a proxy: the proxy accepts, then closes mid-handshake
    SSLHandshakeException cutOff =
        new SSLHandshakeException("Remote host terminated the handshake");
    cutOff.initCause(new EOFException("SSL peer shut down incorrectly"));
    assertFalse(RetryRules.isTls(cutOff));
    assertTrue(RetryRules.recoverable(cutOff));
    assertTrue(RetryRules.shouldRetry(cutOff, 0, false, false));
    // a refused certificate stays a TLS failure
    SSLHandshakeException refused =
        new SSLHandshakeException("Received fatal alert: bad_certificate");
    assertTrue(RetryRules.isTls(refused));
  }

  @Test
  void callDeadlineOrInterrupt_isNotRepeated_butASocketTimeoutIs() {
    assertFalse(RetryRules.recoverable(new InterruptedIOException("timeout")));
    assertTrue(RetryRules.recoverable(new SocketTimeoutException("Read timed out")));
  }

  @Test
  void unknownHost_isNotRepeated() {
    assertFalse(RetryRules.recoverable(new UnknownHostException("no.such.host")));
    assertEquals(Kind.CONNECT, RetryRules.kindOf(new UnknownHostException("x"), false));
  }

  @Test
  void brokenConnection_isRepeatedOnce_forIdempotentCalls_orWhenNothingWasSent() {
    IOException eof = new EOFException("unexpected end of stream");
    assertTrue(RetryRules.shouldRetry(eof, 0, true, true));
    assertFalse(RetryRules.shouldRetry(eof, 0, true, false), "a write that may have happened");
    assertTrue(RetryRules.shouldRetry(eof, 0, false, false), "nothing was sent");
    assertFalse(RetryRules.shouldRetry(eof, 1, true, true), "only once");
  }

  @Test
  void kinds_tellConnectFromIoFromTls() {
    assertEquals(Kind.CONNECT, RetryRules.kindOf(new ConnectException("refused"), false));
    assertEquals(Kind.IO, RetryRules.kindOf(new SocketException("Broken pipe"), true));
    assertEquals(Kind.CONNECT, RetryRules.kindOf(new SocketException("Broken pipe"), false));
    assertEquals(Kind.TLS, RetryRules.kindOf(new SSLHandshakeException("no cipher suites"), false));
  }
}
