package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.channel.ChannelCodec;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A channel connection with nothing under way for the member's idle timeout is closed. */
class ChannelIdleTest {
  @TempDir Path dir;

  @Test
  void idleConnection_isClosedByTheMember_andANewOneIsServed() throws Exception {
    try (CryptoTestMember m =
            CryptoTestMember.start(dir, b -> b.idleTimeout(Duration.ofSeconds(1)));
        RawChannel idle = RawChannel.open(m.clientTls, m.member.channelPort())) {
      idle.send(ChannelCodec.ping(1));
      assertEquals(1, idle.read().id);
      // nothing more is sent: the member's watchdog closes the connection after 1 s of silence
      assertTrue(idle.readsToEnd(), "the member closed the idle connection");
      for (int i = 0; i < 1200 && m.member.channelConnections() > 0; i++) {
        Thread.sleep(50);
      }
      assertEquals(0, m.member.channelConnections());
      try (RawChannel next = RawChannel.open(m.clientTls, m.member.channelPort())) {
        next.send(ChannelCodec.ping(2));
        assertEquals(2, next.read().id, "a new connection is served");
      }
    }
  }
}
