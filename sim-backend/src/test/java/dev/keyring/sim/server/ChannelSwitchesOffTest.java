package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.sim.channel.ChannelServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member's switches {@code keyring.member.channel.inline=false} and {@code
 * keyring.member.channel.spinMicros=0}: every request goes to the shared workers and every answer
 * through the connection's writer, a lone one too, no reader spins, and all is served the same.
 */
class ChannelSwitchesOffTest {
  @TempDir static Path dir;
  private static CryptoTestMember m;
  private static String wasInline;
  private static String wasSpin;

  @BeforeAll
  static void start() throws Exception {
    wasInline = System.getProperty(ChannelServer.INLINE_PROPERTY);
    wasSpin = System.getProperty(ChannelServer.SPIN_PROPERTY);
    System.setProperty(ChannelServer.INLINE_PROPERTY, "false");
    System.setProperty(ChannelServer.SPIN_PROPERTY, "0");
    m = CryptoTestMember.start(dir, b -> {});
  }

  @AfterAll
  static void stop() {
    restore(ChannelServer.INLINE_PROPERTY, wasInline);
    restore(ChannelServer.SPIN_PROPERTY, wasSpin);
    if (m != null) {
      m.close();
    }
  }

  private static void restore(String property, String was) {
    if (was == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, was);
    }
  }

  @Test
  void loneRequests_goToTheWorkers_andAreAnswered() throws Exception {
    try (RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort())) {
      String sid = c.loginKrco();
      for (int i = 0; i < 5; i++) {
        c.send(ChannelCodec.ping(10 + i));
        assertEquals(10 + i, c.read().id);
        c.send(m.signFrame(20 + i, sid, "queued".getBytes(StandardCharsets.UTF_8)));
        ChannelAnswer signed = c.read();
        assertEquals(20 + i, signed.id);
        assertTrue(signed.ok(), String.valueOf(signed.message));
      }
      assertEquals(0, m.member.channelServedOnReader());
      assertEquals(12, m.member.channelRequests(), "open, login, five pings and five signs");
    }
  }

  @Test
  void badSwitchValues_areRefusedByName() {
    String v = System.getProperty(ChannelServer.INLINE_PROPERTY);
    String sp = System.getProperty(ChannelServer.SPIN_PROPERTY);
    try {
      System.setProperty(ChannelServer.INLINE_PROPERTY, "sometimes");
      assertEquals(
          "system property keyring.member.channel.inline must be true or false, got 'sometimes'",
          assertThrows(IllegalArgumentException.class, ChannelServer::inlineProperty).getMessage());
      for (String bad : new String[] {"1001", "-5", "fast"}) {
        System.setProperty(ChannelServer.SPIN_PROPERTY, bad);
        assertEquals(
            "system property keyring.member.channel.spinMicros must be a whole number of"
                + " microseconds from 0 to 1000, got '"
                + bad
                + "'",
            assertThrows(IllegalArgumentException.class, ChannelServer::spinProperty).getMessage());
      }
      System.setProperty(ChannelServer.SPIN_PROPERTY, " 120 ");
      assertEquals(120, ChannelServer.spinProperty());
      System.clearProperty(ChannelServer.SPIN_PROPERTY);
      assertEquals(200, ChannelServer.spinProperty(), "the default");
    } finally {
      restore(ChannelServer.INLINE_PROPERTY, v);
      restore(ChannelServer.SPIN_PROPERTY, sp);
    }
  }
}
