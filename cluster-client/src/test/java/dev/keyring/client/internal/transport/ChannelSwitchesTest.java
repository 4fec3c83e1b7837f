package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A crypto channel switch set to a bad value by a system property is refused, naming it, when the
 * client's transports are built, and never after a connection to a member was made (which was then
 * left open, the member counting it against the client, at every attempt).
 */
class ChannelSwitchesTest extends ChannelWireTestSupport {
  private static void withProperty(String name, String value, Runnable body) {
    String before = System.getProperty(name);
    System.setProperty(name, value);
    try {
      body.run();
    } finally {
      if (before == null) {
        System.clearProperty(name);
      } else {
        System.setProperty(name, before);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {FrameWriter.COALESCE_PROPERTY, ChannelWire.CALLER_READS_PROPERTY})
  void aBadSwitch_isRefusedWhenTheTransportsAreBuilt_namingIt(String property) {
    TransportOptions options = TransportOptions.defaults();
    withProperty(
        property,
        "maybe",
        () -> {
          IllegalArgumentException e =
              assertThrows(
                  IllegalArgumentException.class, () -> MemberTransports.load(entry, options));
          assertTrue(e.getMessage().contains(property), e.getMessage());
          assertTrue(e.getMessage().contains("got 'maybe'"), e.getMessage());
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {FrameWriter.COALESCE_PROPERTY, ChannelWire.CALLER_READS_PROPERTY})
  void aBadSwitch_isRefusedBeforeAConnectionIsMade(String property) throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket member = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(member.accept());
                  }
                } catch (IOException closed) {
                  // the test closed the member
                }
              },
              "switches-test-member");
      acceptor.setDaemon(true);
      acceptor.start();
      ClientTls tls = ClientTls.load(entry);
      withProperty(
          property,
          "maybe",
          () -> {
            IllegalArgumentException e =
                assertThrows(
                    IllegalArgumentException.class,
                    () ->
                        ChannelWire.open(
                            tls,
                            "127.0.0.1",
                            member.getLocalPort(),
                            "m1",
                            "member m1 channel",
                            Duration.ofSeconds(10),
                            Duration.ofHours(1),
                            Duration.ZERO,
                            false));
            assertTrue(e.getMessage().contains(property), e.getMessage());
          });
      assertEquals(0, accepted.size(), "connections made to the member");
    } finally {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }
}
