package dev.keyring.client.internal.transport;

import dev.keyring.protocol.channel.ChannelFrames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A crypto channel member for the client's unit tests: a TLS server on loopback that takes one
 * connection, answers the hello, and then serves it as the subclass says ({@link #serve}).
 */
abstract class TestChannelMember implements AutoCloseable {
  private final SSLServerSocket server;
  private final List<Socket> accepted = new ArrayList<>();

  TestChannelMember(SSLContext tls, String name) throws IOException {
    server =
        (SSLServerSocket)
            tls.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptOne, name);
    t.setDaemon(true);
    t.start();
  }

  private void acceptOne() {
    try (Socket s = server.accept()) {
      synchronized (accepted) {
        accepted.add(s);
      }
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      ChannelFrames.readHello(in);
      ChannelFrames.writeHello(out);
      out.flush();
      serve(in, out);
    } catch (IOException | InterruptedException closed) {
      // the client or the test closed it
    }
  }

  /** Serves the connection after the hello; returning closes it. */
  abstract void serve(InputStream in, OutputStream out) throws IOException, InterruptedException;

  int port() {
    return server.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (accepted) {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }
}
