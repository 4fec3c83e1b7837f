package dev.keyring.testing.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A proxy's companion (a member's channel proxy beside its client proxy) takes every fault and
 * restore of the proxy it is attached to, over a loopback echo server.
 */
class FaultProxyCompanionTest {
  private ServerSocket echo;
  private FaultProxy client;
  private FaultProxy channel;

  @BeforeEach
  void start() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::serve, "echo");
    t.setDaemon(true);
    t.start();
    channel = FaultProxy.start("127.0.0.1", echo.getLocalPort());
    client = FaultProxy.start("127.0.0.1", echo.getLocalPort()).alsoApplyTo(channel);
  }

  @AfterEach
  void stop() throws IOException {
    client.close();
    channel.close();
    echo.close();
  }

  private void serve() {
    while (!echo.isClosed()) {
      try {
        Socket s = echo.accept();
        Thread t =
            new Thread(
                () -> {
                  try (s;
                      InputStream in = s.getInputStream();
                      OutputStream out = s.getOutputStream()) {
                    int b;
                    while ((b = in.read()) >= 0) {
                      out.write(b);
                      out.flush();
                    }
                  } catch (IOException e) {
                    // the proxy cut it
                  }
                },
                "echo-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  /** One byte over {@code s} and back. */
  private static int roundTrip(Socket s, int b) throws IOException {
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    return s.getInputStream().read();
  }

  private static Socket through(FaultProxy p) throws IOException {
    Socket s = new Socket("127.0.0.1", p.port());
    s.setSoTimeout(10_000);
    return s;
  }

  @Test
  void cutAndRestore_reachTheCompanion_itsOwnCallsStayItsOwn() throws Exception {
    assertEquals(channel, client.companion());
    try (Socket s = through(channel)) {
      assertEquals(42, roundTrip(s, 42));
      client.cut();
      assertEquals(FaultProxy.Mode.CUT, channel.mode());
      assertEquals(0, channel.openSockets(), "the companion's connections were reset");
      int after;
      try {
        after = roundTrip(s, 43);
      } catch (SocketException reset) {
        after = -1;
      }
      assertEquals(-1, after, "the connection through the companion is gone");
    }
    try (Socket refused = through(channel)) {
      int read;
      try {
        read = refused.getInputStream().read();
      } catch (SocketException reset) {
        read = -1;
      }
      assertEquals(-1, read, "a new connection through the companion is closed at once");
    }

    client.restore();
    assertEquals(FaultProxy.Mode.FORWARD, channel.mode());
    try (Socket s = through(channel)) {
      assertEquals(44, roundTrip(s, 44));
    }

    client.blackhole();
    assertEquals(FaultProxy.Mode.BLACKHOLE, channel.mode());
    client.restore();
    client.delay(Duration.ofMillis(1));
    client.restore();
    assertEquals(FaultProxy.Mode.FORWARD, channel.mode());

    // the companion's own faults do not reach back
    channel.cut();
    assertEquals(FaultProxy.Mode.FORWARD, client.mode());
    try (Socket s = through(client)) {
      assertEquals(45, roundTrip(s, 45));
    }
    channel.restore();
  }

  @Test
  void aProxy_cannotBeItsOwnCompanion() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> channel.alsoApplyTo(channel));
    assertTrue(e.getMessage().contains("own companion"), e.getMessage());
  }
}
