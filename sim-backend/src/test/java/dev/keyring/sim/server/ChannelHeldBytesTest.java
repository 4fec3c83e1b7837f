package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.wire.WireJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a member holds for channel clients that send requests with large answers and do not read
 * them: at most its memory budget and a share per connection, however many connections do it;
 * beyond, requests are refused with CKR_DEVICE_MEMORY, and everything held is given back when the
 * connections go.
 */
class ChannelHeldBytesTest {
  private static final int MAX_IN_FLIGHT = 128;
  private static final int CONNECTIONS = 8;
  private static final long BUDGET = MemberConfig.MIN_BUFFER_BUDGET;

  /** The share of memory a connection holds without borrowing from the budget. */
  private static final long FREE_PER_CONNECTION = 64 << 10;

  @TempDir static Path dir;
  private static CryptoTestMember m;

  @BeforeAll
  static void start() throws Exception {
    m =
        CryptoTestMember.start(
            dir,
            b ->
                b.bufferBudget(BUDGET)
                    .channelMaxInFlight(MAX_IN_FLIGHT)
                    .channelWorkers(4)
                    .channelWriteTimeout(Duration.ofMinutes(2)));
  }

  @AfterAll
  static void stop() {
    if (m != null) {
      m.close();
    }
  }

  @Test
  void findsWhoseAnswersOutgrowTheirBound_holdAtMostTheBudget_theRestAreRefusedInTheirTurn()
      throws Exception {
    // 24 data objects of 8 KiB: a find of them answers about 400 KiB, over the 128 KiB a JSON
    // answer is admitted with
    String value = "ab".repeat(8 << 10);
    try (RawChannel owner = RawChannel.open(m.clientTls, m.member.channelPort())) {
      String sid = owner.loginKrco();
      for (int i = 0; i < 24; i++) {
        String template =
            "{\"template\":{\"CKA_CLASS\":\"DATA\",\"CKA_TOKEN\":true,\"CKA_LABEL\":\"big\","
                + "\"CKA_VALUE\":\""
                + value
                + "\"}}";
        owner.send(
            ChannelCodec.json(
                10 + i,
                null,
                false,
                "POST",
                "/v1/sessions/" + sid + "/objects",
                template.getBytes(StandardCharsets.UTF_8)));
        ChannelAnswer made = owner.read();
        assertTrue(made.ok(), String.valueOf(made.message));
      }
    }
    int perConnection = 32;
    Peaks peaks = new Peaks();
    List<RawChannel> clients = new ArrayList<>();
    int ok = 0;
    int refused = 0;
    try {
      sendWithoutReading(
          clients, "/objects/find", "{\"template\":{\"CKA_LABEL\":\"big\"}}", perConnection);
      peaks.stopAndCheck();
      for (RawChannel client : clients) {
        for (int i = 0; i < perConnection; i++) {
          ChannelAnswer a = client.read();
          if (a.ok()) {
            ok++;
            assertEquals(
                24,
                WireJson.mapper().readTree(a.body.rest()).path("objects").size(),
                "every object found");
          } else {
            assertEquals(ResultCode.CKR_DEVICE_MEMORY, a.code, a.message);
            refused++;
          }
        }
      }
    } finally {
      peaks.stop();
      for (RawChannel c : clients) {
        c.close();
      }
    }
    System.out.printf(
        "%d connections x %d finds answering about 400 KiB each, never read until all were sent:"
            + " at most %,d bytes held (%,d borrowed, %,d beyond it on one connection), %d"
            + " answered, %d refused with CKR_DEVICE_MEMORY%n",
        CONNECTIONS,
        perConnection,
        peaks.held.get(),
        peaks.borrowed.get(),
        peaks.own.get(),
        ok,
        refused);
    assertEquals(CONNECTIONS * perConnection, ok + refused);
    assertTrue(refused > 0, "some finds refused: the budget was full");
    assertTrue(ok > 0, "some finds answered");
    awaitNothingHeld();
  }

  @Test
  void clientsThatDoNotReadLargeAnswers_holdAtMostTheBudget_andGiveItBackWhenTheyGo()
      throws Exception {
    Peaks peaks = new Peaks();
    List<RawChannel> clients = new ArrayList<>();
    int ok = 0;
    int refusedForMemory = 0;
    try {
      // never more than the in-flight limit
      sendWithoutReading(clients, "/random", "{\"length\":65536}", MAX_IN_FLIGHT);
      peaks.stopAndCheck();
      for (RawChannel client : clients) {
        for (int i = 0; i < MAX_IN_FLIGHT; i++) {
          ChannelAnswer a = client.read();
          if (a.ok()) {
            ok++;
            assertTrue(a.body.remaining() > 65536, "64 KiB of random bytes as JSON");
          } else {
            assertEquals(ResultCode.CKR_DEVICE_MEMORY, a.code, a.message);
            assertTrue(a.message.contains("as much client data as it may"), a.message);
            refusedForMemory++;
          }
        }
      }
    } finally {
      peaks.stop();
      for (RawChannel c : clients) {
        c.close();
      }
    }
    System.out.printf(
        "%d connections x %d requests for 64 KiB answers, never read until all were sent: at most"
            + " %,d bytes held (%,d borrowed, %,d beyond it on one connection), %d answered, %d"
            + " refused with CKR_DEVICE_MEMORY%n",
        CONNECTIONS,
        MAX_IN_FLIGHT,
        peaks.held.get(),
        peaks.borrowed.get(),
        peaks.own.get(),
        ok,
        refusedForMemory);
    assertEquals(CONNECTIONS * MAX_IN_FLIGHT, ok + refusedForMemory);
    assertTrue(refusedForMemory > 0, "some requests refused: the budget was full");
    assertTrue(ok > 0, "some requests served");
    awaitNothingHeld();
  }

  /**
   * Samples, until stopped, what the member's channel holds: the most one connection holds beyond
   * what it borrowed, the most borrowed from the budget, and the sum over the connections (read one
   * connection after another, so it may count bytes twice as they move between connections:
   * printed, not checked). At every instant all connections hold at most the first times their
   * number plus the second.
   */
  private static final class Peaks {
    final AtomicLong own = new AtomicLong();
    final AtomicLong borrowed = new AtomicLong();
    final AtomicLong held = new AtomicLong();
    private final AtomicBoolean on = new AtomicBoolean(true);
    private final Thread sampler =
        new Thread(
            () -> {
              while (on.get()) {
                own.accumulateAndGet(m.member.channelMostOwnBytes(), Math::max);
                borrowed.accumulateAndGet(m.member.buffers().used(), Math::max);
                held.accumulateAndGet(m.member.channelHeldBytes(), Math::max);
                Thread.onSpinWait();
              }
            });

    Peaks() {
      sampler.start();
    }

    void stop() {
      on.set(false);
    }

    void stopAndCheck() throws InterruptedException {
      stop();
      sampler.join();
      assertTrue(
          own.get() <= FREE_PER_CONNECTION,
          "a connection held "
              + own.get()
              + " bytes beyond what it borrowed, more than its share: "
              + FREE_PER_CONNECTION);
      assertTrue(
          borrowed.get() <= BUDGET,
          "borrowed " + borrowed.get() + " bytes, more than the budget: " + BUDGET);
    }
  }

  /**
   * Opens {@link #CONNECTIONS} connections into {@code clients}, each with a small receive buffer
   * (the answers wait in the member, not in the kernel), that log in and send {@code count}
   * requests of the JSON opcode {@code POST /v1/sessions/<id>}{@code onSession} with {@code body}
   * and read nothing; returns once the member has read them all and its workers served them.
   */
  private static void sendWithoutReading(
      List<RawChannel> clients, String onSession, String body, int count) throws Exception {
    long requestsBefore = m.member.channelRequests();
    for (int c = 0; c < CONNECTIONS; c++) {
      RawChannel client = RawChannel.open(m.clientTls, m.member.channelPort(), 16 << 10);
      clients.add(client);
      String sid = client.loginKrco();
      byte[] request =
          ChannelCodec.json(
              0,
              null,
              false,
              "POST",
              "/v1/sessions/" + sid + onSession,
              body.getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < count; i++) {
        request[7] = (byte) (10 + i);
        client.send(request);
      }
    }
    awaitRequests(requestsBefore + CONNECTIONS * (count + 2L));
  }

  /** Waits until the member has read {@code all} requests, and its workers served them. */
  private static void awaitRequests(long all) throws InterruptedException {
    for (int i = 0; i < 1200 && m.member.channelRequests() < all; i++) {
      Thread.sleep(50);
    }
    assertEquals(all, m.member.channelRequests(), "requests the member has read");
    Thread.sleep(300); // the workers finish what was admitted; nothing is read meanwhile
  }

  /**
   * Waits for the connections to be gone, then checks nothing is held or borrowed and a new client
   * is served.
   */
  private static void awaitNothingHeld() throws Exception {
    for (int i = 0; i < 1200 && m.member.channelConnections() > 0; i++) {
      Thread.sleep(50);
    }
    assertEquals(0, m.member.channelConnections());
    assertEquals(0, m.member.channelHeldBytes(), "nothing held once the connections are gone");
    assertEquals(0, m.member.buffers().used(), "everything borrowed is given back");
    try (RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort())) {
      String sid = c.loginKrco();
      c.send(m.signFrame(50, sid, "after".getBytes(StandardCharsets.UTF_8)));
      ChannelAnswer signed = c.read();
      assertTrue(signed.ok(), String.valueOf(signed.message));
    }
  }
}
