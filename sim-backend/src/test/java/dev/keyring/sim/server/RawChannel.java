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
    SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    s.setTcpNoDelay(true);
    s.setSoTimeout(60_000); // a safety net against a hung test only
    s.startHandshake();
    return new RawChannel(s);
  }

  /** A connection past the hello of this version. */
  static RawChannel open(SSLContext tls, int port) throws IOException {
    RawChannel c = connect(tls, port);
    c.send(ChannelFrames.hello(ChannelFrames.VERSION));
    int version = ChannelFrames.readHello(c.in);
    if (version != ChannelFrames.VERSION) {
      throw new IOException("the member answered version " + version);
    }
    return c;
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
