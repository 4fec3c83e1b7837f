package dev.keyring.sim.server;

import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFrames;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A crypto channel connection written by hand for tests: it sends whatever bytes it is given,
 * including what a well-behaved client never sends, and reads answers one at a time.
 */
final class RawChannel implements AutoCloseable {
  final SSLSocket socket;
  final OutputStream out;
  final InputStream in;

  private RawChannel(SSLSocket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new BufferedInputStream(socket.getInputStream());
  }

  /** A connection with its TLS handshake done, no hello sent. */
  static RawChannel connect(SSLContext tls, int port) throws IOException {
    return connect(tls, port, 0);
  }

  /**
   * A connection with its TLS handshake done, no hello sent, whose socket receive buffer is {@code
   * receiveBuffer} bytes (0: the system's default): a small one keeps the answers of a client that
   * does not read in the member, not in the kernel.
   */
  static RawChannel connect(SSLContext tls, int port, int receiveBuffer) throws IOException {
    SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    s.setTcpNoDelay(true);
    s.setSoTimeout(60_000); // a safety net against a hung test only
    s.startHandshake();
    return new RawChannel(s);
  }

  /** A connection past the hello of this version. */
  static RawChannel open(SSLContext tls, int port) throws IOException {
    return open(tls, port, 0);
  }

  /** A connection past the hello of this version, with a receive buffer as {@link #connect}'s. */
  static RawChannel open(SSLContext tls, int port, int receiveBuffer) throws IOException {
    RawChannel c = connect(tls, port, receiveBuffer);
    c.send(ChannelFrames.hello(ChannelFrames.VERSION));
    int version = ChannelFrames.readHello(c.in);
    if (version != ChannelFrames.VERSION) {
      throw new IOException("the member answered version " + version);
    }
    return c;
  }

  /**
   * Opens a session on the test keyring and logs it in as KRCO (requests 1 and 2); the session id.
   *
   * @throws IOException when the member refused either (with its code and message)
   */
  String loginKrco() throws IOException {
    send(ChannelCodec.openSession(1, null, CryptoTestMember.KEYRING));
    ChannelAnswer opened = read();
    if (!opened.ok()) {
      throw new IOException("open session refused: " + opened.code + " " + opened.message);
    }
    String sid = opened.body.text8("session");
    send(
        ChannelCodec.login(
            2, null, sid, dev.keyring.protocol.Role.KRCO, CryptoTestMember.PASSWORD));
    ChannelAnswer in = read();
    if (!in.ok()) {
      throw new IOException("login refused: " + in.code + " " + in.message);
    }
    return sid;
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next answer; null when the member closed the connection. */
  ChannelAnswer read() throws IOException {
    int length = ChannelFrames.readLength(in, ChannelFrames.DEFAULT_MAX_FRAME_BYTES);
    if (length < 0) {
      return null;
    }
    return ChannelCodec.readAnswer(ChannelFrames.readFrame(in, length));
  }

  /** Whether the member has closed the connection: reads and discards until the end. */
  boolean readsToEnd() {
    try {
      byte[] sink = new byte[8192];
      while (in.read(sink) >= 0) {
        // discard
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the member
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
