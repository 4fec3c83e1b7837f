package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.Opcode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client cannot take every channel connection of a member: past {@code
 * channelMaxConnectionsPerClient} its connections are refused after the handshake with a clear
 * error, while another client still connects and is served.
 */
class ChannelPerClientLimitTest {
  private static final int PER_CLIENT = 4;

  @TempDir static Path dir;
  private static CryptoTestMember m;

  @BeforeAll
  static void start() throws Exception {
    m = CryptoTestMember.start(dir, b -> b.channelMaxConnectionsPerClient(PER_CLIENT));
  }

  @AfterAll
  static void stop() {
    if (m != null) {
      m.close();
    }
  }

  private static void pingsAndSigns(RawChannel c, int id) throws Exception {
    c.send(ChannelCodec.ping(id));
    ChannelAnswer pong = c.read();
    assertEquals(id, pong.id);
    assertTrue(pong.ok());
    String sid = c.loginKrco();
    c.send(m.signFrame(id + 1, sid, "limit".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    ChannelAnswer signed = c.read();
    assertTrue(signed.ok(), String.valueOf(signed.message));
  }

  @Test
  void aClientPastItsConnections_isRefusedClearly_anotherClientIsServed() throws Exception {
    List<RawChannel> held = new ArrayList<>();
    try {
      for (int i = 0; i < PER_CLIENT; i++) {
        RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort());
        held.add(c);
        pingsAndSigns(c, 10 * (i + 1)); // counted only once the hello is through
      }
      for (int i = 0; i < 3; i++) {
        try (RawChannel refused = RawChannel.connect(m.clientTls, m.member.channelPort())) {
          refused.send(ChannelFrames.hello(ChannelFrames.VERSION));
          ChannelAnswer a = refused.read(); // a frame in place of the hello's answer
          assertEquals(0, a.id, "a refusal of the connection");
          assertEquals(Opcode.ERROR, a.opcode);
          assertEquals(ResultCode.CKR_DEVICE_MEMORY, a.code);
          assertTrue(
              a.message.contains(PER_CLIENT + " crypto channel connections open")
                  && a.message.contains("channelMaxConnectionsPerClient"),
              a.message);
          assertTrue(refused.readsToEnd(), "the member closed it");
        }
      }
      SSLContext other = m.registerClient("other-client");
      try (RawChannel c = RawChannel.open(other, m.member.channelPort())) {
        pingsAndSigns(c, 100);
      }
      // a connection given back makes room for the next one
      held.remove(0).close();
      RawChannel again = null;
      for (int i = 0; i < 200 && again == null; i++) {
        try {
          again = RawChannel.open(m.clientTls, m.member.channelPort());
        } catch (ChannelFormatException refusedStill) {
          Thread.sleep(25); // the member has not seen the close yet
        }
      }
      assertTrue(again != null, "a new connection once one was closed");
      held.add(again);
      pingsAndSigns(again, 200);
      assertEquals(PER_CLIENT, m.member.channelConnections());
    } finally {
      for (RawChannel c : held) {
        c.close();
      }
    }
  }
}
