package dev.keyring.sim.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.time.Ticker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A bad switch value refuses the channel's start before its port is bound. */
class ChannelServerSwitchesTest {
  private static final ChannelService NONE =
      new ChannelService() {
        @Override
        public byte[] serve(ChannelRequest request, X509Certificate client) {
          throw new AssertionError("nothing is served");
        }

        @Override
        public void checkClient(X509Certificate client) {}

        @Override
        public boolean tryHold(long bytes) {
          return false;
        }

        @Override
        public void release(long bytes) {}
      };

  private static void refusedBeforeBinding(String property, String value, String message)
      throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    ChannelSettings settings =
        new ChannelSettings(
            "127.0.0.1",
            port,
            4,
            4,
            4,
            1,
            Duration.ofSeconds(30),
            Duration.ofSeconds(10),
            1 << 16,
            50);
    String was = System.getProperty(property);
    try {
      System.setProperty(property, value);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> ChannelServer.start(null, settings, NONE, Ticker.SYSTEM));
      assertEquals(message, e.getMessage());
    } finally {
      if (was == null) {
        System.clearProperty(property);
      } else {
        System.setProperty(property, was);
      }
    }
    // the port was never bound, so it is free for another listener at once
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }
  }

  @Test
  void badInlineSwitch_refusesTheStart_beforeThePortIsBound() throws Exception {
    refusedBeforeBinding(
        ChannelServer.INLINE_PROPERTY,
        "maybe",
        "system property keyring.member.channel.inline must be true or false, got 'maybe'");
  }

  @Test
  void aSpinOutOfRange_isRefusedBySettings() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ChannelSettings(
                    "127.0.0.1",
                    0,
                    4,
                    4,
                    4,
                    1,
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(10),
                    1 << 16,
                    5000));
    assertEquals("the channel's spin must be 0 to 1000 microseconds, got 5000", e.getMessage());
  }
}
