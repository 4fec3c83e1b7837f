package dev.keyring.testing.http;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One TLS connection on loopback that sends exactly the bytes it is given: requests no HTTP client
 * would send (broken chunked encoding, a body cut short, a body that never ends). Every read is
 * bounded by a timeout.
 */
public final class RawHttp implements Closeable {
  private final SSLSocket socket;
  private final OutputStream out;
  private final InputStream in;

  private RawHttp(SSLSocket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = socket.getInputStream();
  }

  /** Connects to {@code 127.0.0.1:port} and completes the handshake, offering {@code alpn}. */
  public static RawHttp open(SSLContext tls, int port, Duration timeout, String... alpn)
      throws IOException {
    SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
      s.setSoTimeout((int) timeout.toMillis());
      if (alpn.length > 0) {
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(alpn);
        s.setSSLParameters(p);
      }
      s.startHandshake();
      return new RawHttp(s);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  public SSLSocket socket() {
    return socket;
  }

  public void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  public void send(String ascii) throws IOException {
    send(ascii.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Ends what this side sends (TLS close_notify), keeping the other direction open to read. */
  public void endOutput() throws IOException {
    socket.shutdownOutput();
  }

  /**
   * Reads the answer's status, or -1 when the connection ended (or stayed silent for {@code wait})
   * without one.
   */
  public int status(Duration wait) throws IOException {
    String line = statusLine(wait);
    if (line == null) {
      return -1;
    }
    String[] p = line.split(" ", 3);
    if (p.length < 2 || !p[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP status line: " + line);
    }
    return Integer.parseInt(p[1]);
  }

  /** The first line of the answer, or null when none came within {@code wait}. */
  public String statusLine(Duration wait) throws IOException {
    socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try {
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          return line.toString(StandardCharsets.ISO_8859_1).strip();
        }
        line.write(b);
        if (line.size() > 8192) {
          throw new IOException("status line too long");
        }
      }
    } catch (SocketTimeoutException e) {
      return null;
    } catch (IOException e) {
      if (line.size() == 0) {
        return null; // reset or TLS alert: the connection ended without an answer
      }
      throw e;
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1).strip();
  }

  /** What the server did while a client waited. */
  public enum Heard {
    NOTHING,
    ANSWER,
    CLOSE
  }

  /** Waits up to {@code wait} for the server to say something or close the connection. */
  public Heard listen(Duration wait) throws IOException {
    socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
    try {
      return in.read() < 0 ? Heard.CLOSE : Heard.ANSWER;
    } catch (SocketTimeoutException e) {
      return Heard.NOTHING;
    } catch (IOException e) {
      return Heard.CLOSE;
    }
  }

  /** Reads and returns the rest of what arrives until the connection ends or {@code wait}. */
  public String rest(Duration wait) throws IOException {
    socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        all.write(buf, 0, n);
      }
    } catch (IOException e) {
      // timeout or reset: what came is what there is
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
