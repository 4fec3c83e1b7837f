package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException.Kind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * What a network failure was, after OkHttp's {@code RetryAndFollowUpInterceptor}: its {@link Kind},
 * and whether another attempt on a fresh connection could overcome it. A certificate or handshake
 * failure never could (it would fail the same way, and must reach the operator); nor a call that
 * hit its overall deadline or was interrupted, nor an unknown host. What is repeated, given that,
 * is the recovering {@link dev.keyring.client.api.KeyringChannel}'s decision ({@link
 * dev.keyring.client.channel.CallKind}).
 */
final class WireFailures {
  private WireFailures() {}

  /** Whether the failure is one a second attempt could overcome. */
  static boolean transientFailure(IOException e) {
    if (isTls(e)) {
      return false;
    }
    if (e instanceof InterruptedIOException && !(e instanceof SocketTimeoutException)) {
      return false; // the call's deadline or an interrupt: give up
    }
    if (e instanceof UnknownHostException || e instanceof ProtocolException) {
      return false;
    }
    return true;
  }

  /** Whether the failure is a TLS one: a handshake, a certificate or a name check. */
  static boolean isTls(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLHandshakeException && brokeOff(t.getCause())) {
        // the peer closed the connection mid-handshake ("Remote host terminated the handshake"):
        // a member that died behind a proxy or load balancer, not a refused certificate
        return false;
      }
      if (t instanceof SSLHandshakeException
          || t instanceof SSLPeerUnverifiedException
          || t instanceof CertificateException) {
        return true;
      }
      if (t instanceof SSLException) {
        // A plain SSLException wrapping a reset or an end of stream is the connection breaking;
        // with no such cause it is an alert (bad_certificate, certificate_required, ...).
        Throwable c = t.getCause();
        return !(c instanceof java.net.SocketException || c instanceof java.io.EOFException);
      }
    }
    return false;
  }

  private static boolean brokeOff(Throwable cause) {
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof java.io.EOFException || c instanceof java.net.SocketException) {
        return true;
      }
    }
    return false;
  }

  /** The kind to report a final failure as. */
  static Kind kindOf(IOException e, boolean connected) {
    if (isTls(e)) {
      return Kind.TLS;
    }
    if (e instanceof ConnectException
        || e instanceof UnknownHostException
        || e instanceof NoRouteToHostException
        || !connected) {
      return Kind.CONNECT;
    }
    if (e instanceof ProtocolException) {
      return Kind.PROTOCOL;
    }
    return Kind.IO;
  }
}
