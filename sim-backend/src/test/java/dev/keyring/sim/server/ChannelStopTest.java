package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that stops cleanly answers the channel requests it took, serves none read after, and
 * ends each connection with a goodbye (a frame of id 0, CKR_DEVICE_REMOVED) after its last answer:
 * its client then knows that every request left without an answer was not served.
 */
@Timeout(120)
class ChannelStopTest {
  @TempDir Path dir;

  @Test
  void anIdleConnection_getsTheGoodbye_thenTheEnd() throws Exception {
    CryptoTestMember m = CryptoTestMember.start(dir, b -> {});
    boolean stopped = false;
    try (RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort())) {
      c.send(ChannelCodec.ping(1));
      assertEquals(1, c.read().id);
      stopped = true;
      m.close();
      assertGoodbye(c.read());
      assertNull(c.read(), "then the member closes the connection");
    } finally {
      if (!stopped) {
        m.close();
      }
    }
  }

  @Test
  void underLoad_whatWasServedIsAnswered_beforeTheGoodbye_andNothingAfter() throws Exception {
    CryptoTestMember m = CryptoTestMember.start(dir, b -> {});
    Thread stopper = null;
    try (RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort())) {
      String sid = c.loginKrco();
      long servedBefore = m.member.cryptoRequests();
      Semaphore window = new Semaphore(8); // requests under way at once, within the member's limit
      AtomicInteger sent = new AtomicInteger();
      Thread sender =
          new Thread(
              () -> {
                try {
                  for (int id = 10; ; id++) {
                    window.acquire();
                    c.send(m.signFrame(id, sid, new byte[64]));
                    sent.incrementAndGet();
                  }
                } catch (IOException | InterruptedException ended) {
                  // the member closed the connection, or the test ended
                }
              },
              "stop-test-sender");
      sender.setDaemon(true);
      sender.start();
      int signed = 0;
      ChannelAnswer a;
      while ((a = c.read()) != null && a.id != 0) {
        assertTrue(a.ok(), a.code + " " + a.message);
        signed++;
        window.release();
        if (signed == 200) {
          stopper = new Thread(m::close, "stop-test-stopper"); // while requests are under way
          stopper.start();
        }
      }
      assertNotNull(stopper, "the member stopped after 200 signatures");
      assertGoodbye(a);
      assertNull(c.read(), "nothing after the goodbye");
      stopper.join();
      sender.interrupt();
      sender.join();
      assertEquals(
          signed,
          m.member.cryptoRequests() - servedBefore,
          "every request the member served was answered before its goodbye");
      assertTrue(sent.get() > signed, "requests were under way at the stop: " + sent + " sent");
    } finally {
      if (stopper == null) {
        m.close();
      }
    }
  }

  private static void assertGoodbye(ChannelAnswer a) {
    assertNotNull(a, "a goodbye before the end");
    assertEquals(0, a.id, "a frame for the whole connection");
    assertEquals(ResultCode.CKR_DEVICE_REMOVED, a.code);
    assertTrue(a.message.contains("were not served"), a.message);
  }
}
