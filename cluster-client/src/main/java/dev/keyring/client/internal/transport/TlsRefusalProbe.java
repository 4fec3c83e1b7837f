package dev.keyring.client.internal.transport;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Finds out why a fresh TLS connection broke right after its handshake. With TLS 1.3 the member
 * checks the client's certificate after the client considers the handshake done, so a refused
 * certificate first shows as a broken pipe or reset on the client's next write (HTTP/2 writes its
 * preface at once), or as an HTTP/2 connection shut down; the alert saying why is left unread. This
 * probe makes one more handshake with the same identity and reads, so that the member's alert
 * ({@code bad_certificate}, {@code certificate_unknown}, ...) surfaces as the {@link SSLException}
 * it is.
 */
final class TlsRefusalProbe {
  private static final Duration READ_WAIT = Duration.ofSeconds(1);

  private final SSLSocketFactory factory;
  private final String host;
  private final int port;
  private final Duration timeout;

  TlsRefusalProbe(SSLSocketFactory factory, String host, int port, Duration timeout) {
    this.factory = factory;
    this.host = host;
    this.port = port;
    this.timeout = timeout;
  }

  /**
   * Whether {@code e} looks like a connection the peer dropped (worth probing): a reset, a broken
   * pipe, an end of stream, or an HTTP/2 connection shut down by its reader thread, which saw the
   * failure first. Timeouts and interrupts are not.
   */
  static boolean looksDropped(IOException e) {
    return !(e instanceof java.io.InterruptedIOException);
  }

  /** The TLS refusal the member answers a new connection with, or null if it accepts it. */
  SSLException refusal() {
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    try (Socket plain = NoDelaySocketFactory.INSTANCE.createSocket()) {
      plain.connect(new InetSocketAddress(host, port), millis);
      // the alert follows the handshake at once; an accepting member just waits, so wait briefly
      plain.setSoTimeout(Math.min(millis, (int) READ_WAIT.toMillis()));
      try (SSLSocket tls = (SSLSocket) factory.createSocket(plain, host, port, false)) {
        tls.startHandshake();
        InputStream in = tls.getInputStream();
        in.read(); // a refused certificate answers with an alert; an accepted one with nothing
        return null;
      }
    } catch (SSLException e) {
      return e;
    } catch (SocketTimeoutException accepted) {
      return null;
    } catch (IOException | RuntimeException other) {
      return null;
    }
  }
}
