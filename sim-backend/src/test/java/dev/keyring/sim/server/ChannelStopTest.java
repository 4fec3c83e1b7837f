package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
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

  @Test
  void aConnectionStillInItsHandshake_isClosedAtOnce_whileARequestUnderWayIsStillServed()
      throws Exception {
    CryptoTestMember m = CryptoTestMember.start(dir, b -> {});
    Thread stopper = null;
    try (RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort());
        Socket tcp = new Socket(InetAddress.getLoopbackAddress(), m.member.channelPort())) {
      tcp.setSoTimeout(60_000); // a safety net against a hung test only
      String sid = c.loginKrco();
      UUID keyring =
          m.member.appliance().store().keyringByLabel(CryptoTestMember.KEYRING).orElseThrow().id();
      int objects = m.member.appliance().store().objectCount(keyring);
      long taken = m.member.cryptoRequests();
      c.send(
          ChannelCodec.json(
              10,
              null,
              false,
              "POST",
              "/v1/sessions/" + sid + "/keypairs",
              ("{\"spec\":{\"type\":\"RSA\",\"bits\":4096},\"publicTemplate\":"
                      + "{\"CKA_LABEL\":\"stop-pub\"},\"privateTemplate\":{\"CKA_LABEL\":\"stop\"}}")
                  .getBytes(StandardCharsets.UTF_8)));
      while (m.member.cryptoRequests() == taken) {
        Thread.sleep(1); // until the member took the key pair: the stop waits for it
      }
      stopper = new Thread(m::close, "stop-test-stopper");
      stopper.start();
      assertTrue(ended(tcp), "the connection that sent nothing, not even its handshake, ends");
      assertEquals(
          objects,
          m.member.appliance().store().objectCount(keyring),
          "it ended while the RSA-4096 key pair under way was still being made, not after");
      ChannelAnswer made = c.read();
      assertEquals(10, made.id);
      assertTrue(made.ok(), made.code + " " + made.message);
      assertGoodbye(c.read());
      stopper.join();
    } finally {
      if (stopper == null) {
        m.close();
      }
    }
  }

  /** Whether the member ended {@code s} (its end, or a reset) before sending anything. */
  private static boolean ended(Socket s) {
    try {
      return s.getInputStream().read() < 0;
    } catch (IOException reset) {
      return true;
    }
  }

  private static void assertGoodbye(ChannelAnswer a) {
    assertNotNull(a, "a goodbye before the end");
    assertEquals(0, a.id, "a frame for the whole connection");
    assertEquals(ResultCode.CKR_DEVICE_REMOVED, a.code);
    assertTrue(a.message.contains("were not served"), a.message);
  }
}
