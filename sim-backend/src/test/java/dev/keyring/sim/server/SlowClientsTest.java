package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.http.Http2Hold;
import dev.keyring.testing.http.Latencies;
import dev.keyring.testing.http.SlowLoris;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients cannot take a member's APIs away from the others: with its default settings, a
 * member under a slow-body attack (200 connections on each API announcing a body and sending a byte
 * of it every 2 s) or an HTTP/2 stream hold (128 streams opened on one connection per API, never
 * ended) answers every request of a good client, on both APIs, over HTTP/1.1 and HTTP/2. Each
 * attack runs for a bounded time on loopback and is stopped; the good clients' latencies are
 * printed, not asserted.
 */
class SlowClientsTest {
  private static final Duration ATTACK = Duration.ofSeconds(14);
  private static final Duration DRIBBLE = Duration.ofSeconds(2);
  private static final Duration BASELINE = Duration.ofSeconds(4);
  // the attackers open their connections (TLS handshakes: CPU) over the first seconds
  private static final Duration RAMP = Duration.ofSeconds(4);

  @TempDir Path dir;
  private CryptoTestMember m;

  @BeforeEach
  void start() throws Exception {
    m = CryptoTestMember.start(dir, b -> {});
  }

  @AfterEach
  void stop() {
    m.close();
  }

  @Test
  void slowBodiesOn200ConnectionsPerApi_leaveAGoodClientAnswered() throws Exception {
    String admin =
        "POST /api/keyrings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100000\r\n\r\n";
    String crypto =
        "POST /v1/sessions/00000000000000000000000000000000/sign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
    GoodClients good = new GoodClients();
    good.runFor(BASELINE, "no attack");
    try (SlowLoris onAdmin =
            SlowLoris.start(m.adminTls, m.adminPort(), 200, admin, DRIBBLE, RAMP, true);
        SlowLoris onCrypto =
            SlowLoris.start(m.clientTls, m.cryptoPort(), 200, crypto, DRIBBLE, RAMP, true)) {
      good.runFor(RAMP, "200 slow bodies per API, while they connect");
      good.runFor(ATTACK.minus(RAMP), "200 slow bodies per API, held and reopened");
      System.out.println(onAdmin);
      System.out.println(onCrypto);
    }
    good.check();
  }

  @Test
  void http2ConnectionHolding128StreamsPerApi_leavesAGoodClientAnswered() throws Exception {
    GoodClients good = new GoodClients();
    good.runFor(BASELINE, "no attack");
    try (Http2Hold onAdmin =
            Http2Hold.start(m.adminTls, m.adminPort(), "/api/keyrings", Map.of(), 128, DRIBBLE);
        Http2Hold onCrypto =
            Http2Hold.start(
                m.clientTls,
                m.cryptoPort(),
                "/v1/sessions/00000000000000000000000000000000/sign",
                Map.of(),
                128,
                DRIBBLE)) {
      good.runFor(RAMP, "128 held HTTP/2 streams per API, while they open");
      good.runFor(ATTACK.minus(RAMP), "128 held HTTP/2 streams per API, held and reopened");
      System.out.println(onAdmin);
      System.out.println(onCrypto);
      assertTrue(onAdmin.opened() >= 128 && onCrypto.opened() >= 128);
    }
    good.check();
  }

  /**
   * A good client of each API, one request after another (20 ms apart), alternating HTTP/1.1 and
   * HTTP/2: admin {@code GET /api/keyrings} with Basic credentials, crypto sign on a logged-in
   * session.
   */
  private final class GoodClients {
    private final List<Latencies> phases = new ArrayList<>();
    private final List<AdminRestClient> admins;
    private final List<HttpClient> cryptos;
    private final List<String> sessions;

    GoodClients() throws Exception {
      this.admins =
          List.of(
              new AdminRestClient(
                  m.adminPort(), m.member.adminCertificate(), HttpClient.Version.HTTP_1_1),
              new AdminRestClient(m.adminPort(), m.member.adminCertificate()));
      this.cryptos =
          List.of(m.crypto(HttpClient.Version.HTTP_1_1), m.crypto(HttpClient.Version.HTTP_2));
      this.sessions = List.of(m.openSession(cryptos.get(0)), m.openSession(cryptos.get(1)));
      // warm up both connections of each before the attack
      for (int i = 0; i < 2; i++) {
        admins.get(i).call("GET", "/api/keyrings").as(ADMIN, ADMIN_PW).send().expect(200);
        assertEquals(200, sign(i).status());
      }
    }

    private CryptoTestMember.Answer sign(int i) throws Exception {
      return m.post(cryptos.get(i), "/sessions/" + sessions.get(i) + "/sign", m.signRequest());
    }

    void runFor(Duration d, String phase) throws InterruptedException {
      Latencies admin = new Latencies("admin API good client, " + phase);
      Latencies crypto = new Latencies("crypto API good client, " + phase);
      phases.add(admin);
      phases.add(crypto);
      AtomicBoolean running = new AtomicBoolean(true);
      Thread a =
          new Thread(
              () -> {
                for (int i = 0; running.get(); i++) {
                  long t0 = System.nanoTime();
                  try {
                    int status =
                        admins
                            .get(i % 2)
                            .call("GET", "/api/keyrings")
                            .as(ADMIN, ADMIN_PW)
                            .send()
                            .status();
                    record(admin, status == 200, t0);
                  } catch (RuntimeException e) {
                    admin.failed();
                  }
                  pause();
                }
              },
              "good-admin-client");
      Thread c =
          new Thread(
              () -> {
                for (int i = 0; running.get(); i++) {
                  long t0 = System.nanoTime();
                  try {
                    record(crypto, sign(i % 2).status() == 200, t0);
                  } catch (Exception e) {
                    crypto.failed();
                  }
                  pause();
                }
              },
              "good-crypto-client");
      a.start();
      c.start();
      Thread.sleep(d.toMillis());
      running.set(false);
      a.join();
      c.join();
    }

    private void record(Latencies l, boolean ok, long t0) {
      if (ok) {
        l.ok(System.nanoTime() - t0);
      } else {
        l.failed();
      }
    }

    private void pause() {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void check() {
      phases.forEach(System.out::println);
      for (Latencies l : phases) {
        assertEquals(0, l.failures(), l.toString());
        assertTrue(l.count() > 0, l.toString());
      }
    }
  }
}
