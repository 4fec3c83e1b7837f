package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.Opcode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that keeps hundreds of slow requests under way on each of its connections does not hold
 * back another client's requests behind all of them: the shared workers take turns between
 * connections.
 */
class ChannelFairnessTest {
  private static final int BUSY_CONNECTIONS = 2;
  private static final int BUSY_REQUESTS = 200;
  private static final byte[] DATA = "fair".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path dir;
  private static CryptoTestMember m;

  @BeforeAll
  static void start() throws Exception {
    m = CryptoTestMember.start(dir, b -> b.channelWorkers(2).channelMaxInFlight(256));
  }

  @AfterAll
  static void stop() {
    if (m != null) {
      m.close();
    }
  }

  private static RawChannel open() throws java.io.IOException {
    return RawChannel.open(m.clientTls, m.member.channelPort());
  }

  @Test
  void anotherClientsRequests_areServedWhileABusyClientsQueueIsStillLong() throws Exception {
    List<RawChannel> busy = new ArrayList<>();
    List<Thread> readers = new ArrayList<>();
    List<byte[]> batches = new ArrayList<>();
    AtomicInteger busyAnswered = new AtomicInteger();
    AtomicInteger busyFailed = new AtomicInteger();
    try (RawChannel other = open()) {
      String otherSession = other.loginKrco();
      for (int c = 0; c < BUSY_CONNECTIONS; c++) {
        RawChannel b = open();
        busy.add(b);
        String sid = b.loginKrco();
        long rsa = rsaKey(b, sid, "busy-" + c);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < BUSY_REQUESTS; i++) {
          all.write(
              ChannelCodec.crypto(
                  100 + i,
                  Opcode.SIGN,
                  null,
                  sid,
                  rsa,
                  Mechanism.CKM_SHA256_RSA_PKCS,
                  MechanismParams.NONE,
                  DATA,
                  null));
        }
        batches.add(all.toByteArray());
        Thread reader =
            new Thread(
                () -> {
                  try {
                    for (int i = 0; i < BUSY_REQUESTS; i++) {
                      if (b.read().ok()) {
                        busyAnswered.incrementAndGet();
                      } else {
                        busyFailed.incrementAndGet();
                      }
                    }
                  } catch (java.io.IOException e) {
                    busyFailed.incrementAndGet();
                  }
                });
        readers.add(reader);
      }
      for (int c = 0; c < BUSY_CONNECTIONS; c++) {
        busy.get(c).send(batches.get(c)); // hundreds of RSA signatures under way at once
        readers.get(c).start();
      }
      // two signatures in one write: they overlap, so they go to the shared workers too
      ByteArrayOutputStream two = new ByteArrayOutputStream();
      two.write(m.signFrame(7, otherSession, DATA));
      two.write(m.signFrame(8, otherSession, DATA));
      other.send(two.toByteArray());
      ChannelAnswer first = other.read();
      ChannelAnswer second = other.read();
      int busyBefore = busyAnswered.get();
      assertTrue(first.ok() && second.ok(), first.message + " / " + second.message);
      for (Thread t : readers) {
        t.join(120_000);
      }
      int total = BUSY_CONNECTIONS * BUSY_REQUESTS;
      System.out.printf(
          "another client's two signatures answered when the busy client had %d of its %d RSA"
              + " signatures back%n",
          busyBefore, total);
      assertEquals(total, busyAnswered.get(), busyFailed.get() + " busy requests failed");
      assertTrue(
          busyBefore < total / 2,
          "the other client waited behind "
              + busyBefore
              + " of the busy client's "
              + total
              + " requests");
    } finally {
      for (RawChannel b : busy) {
        b.close();
      }
    }
  }

  private static long rsaKey(RawChannel c, String sid, String label) throws Exception {
    c.send(
        ChannelCodec.json(
            3,
            null,
            false,
            "POST",
            "/v1/sessions/" + sid + "/keypairs",
            ("{\"spec\":{\"type\":\"RSA\",\"bits\":2048},\"publicTemplate\":{\"CKA_LABEL\":\""
                    + label
                    + "-pub\"},\"privateTemplate\":{\"CKA_LABEL\":\""
                    + label
                    + "\"}}")
                .getBytes(StandardCharsets.UTF_8)));
    ChannelAnswer a = c.read();
    assertTrue(a.ok(), String.valueOf(a.message));
    return dev.keyring.protocol.wire.WireJson.mapper()
        .readTree(a.body.rest())
        .path("privateKey")
        .path("handle")
        .asLong();
  }
}
