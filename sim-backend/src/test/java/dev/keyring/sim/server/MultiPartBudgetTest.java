package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.http.Latencies;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member-wide budget of buffered multi-part data: concurrent large uploads beyond it are
 * refused with {@code CKR_DEVICE_MEMORY} (and nothing else), a good client signs throughout, and
 * the budget is back to zero afterwards; abandoned operations give their memory back on logout and
 * session close.
 *
 * <p>By default the storm is small (12 uploads of 8 MiB against a 32 MiB budget). With {@code
 * -Dkeyring.heavy=true} it is the issue's: 200 concurrent uploads of 64 MiB against the default
 * budget (a quarter of the heap; run it with {@code -DargLine=-Xmx1g} to size the heap). Both print
 * the budget's and the heap's peaks and the good client's latencies. The heavy storm overloads a
 * small machine: uploads the member cuts for arriving too slowly, or that end without an answer
 * (the uploader timed out, or the connection closed), are counted and allowed there; an answer 5xx,
 * a failed good sign or a budget not back to zero fail either run.
 */
class MultiPartBudgetTest {
  private static final boolean HEAVY = Boolean.getBoolean("keyring.heavy");
  private static final long MIB = 1L << 20;
  private static final Duration PATIENCE = Duration.ofSeconds(HEAVY ? 300 : 60);

  @TempDir Path dir;
  private CryptoTestMember m;

  @AfterEach
  void stop() {
    if (m != null) {
      m.close();
    }
  }

  @Test
  void uploadsBeyondTheBudget_areRefusedCleanly_aGoodClientSignsThroughout_budgetBackToZero()
      throws Exception {
    int uploads = HEAVY ? 200 : 12;
    long total = HEAVY ? 64 * MIB : 8 * MIB;
    int part = (int) (HEAVY ? 4 * MIB : MIB);
    m =
        CryptoTestMember.start(
            dir,
            b -> {
              if (!HEAVY) {
                b.bufferBudget(32 * MIB);
              }
            });
    BufferBudget budget = m.member.buffers();
    HttpClient good = m.crypto(HttpClient.Version.HTTP_2);
    String goodSession = m.openSession(good);
    byte[] partBody = partBody(part, false);
    byte[] lastBody = partBody(0, true);

    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    AtomicLong heapPeak = new AtomicLong();
    AtomicLong livePeak = new AtomicLong();
    AtomicBoolean storm = new AtomicBoolean(true);
    Thread sampler =
        new Thread(
            () -> {
              for (int i = 1; storm.get(); i++) {
                heapPeak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                if (HEAVY && i % 200 == 0) {
                  // what is alive: a full collection every 2 s (its pauses count in the
                  // good client's latencies)
                  System.gc();
                  livePeak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                }
                sleep(10);
              }
            },
            "heap-sampler");
    sampler.start();

    Latencies goodSigns = new Latencies("good client's signs during the uploads");
    Thread goodClient =
        new Thread(
            () -> {
              while (storm.get()) {
                long t0 = System.nanoTime();
                try {
                  CryptoTestMember.Answer a =
                      m.post(good, "/sessions/" + goodSession + "/sign", m.signRequest());
                  if (a.status() == 200) {
                    goodSigns.ok(System.nanoTime() - t0);
                  } else {
                    goodSigns.failed();
                  }
                } catch (Exception e) {
                  goodSigns.failed();
                }
                sleep(20);
              }
            },
            "good-client");
    goodClient.start();

    List<HttpClient> clients = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      clients.add(m.crypto(HttpClient.Version.HTTP_1_1));
    }
    Map<String, Integer> outcomes = new ConcurrentHashMap<>();
    Map<String, Integer> reasons = new ConcurrentHashMap<>();
    List<String> problems = new ArrayList<>();
    // the heavy storm overloads this machine: an upload may also be cut by the member for
    // arriving too slowly, or give up on the client's side; never may the member fail (5xx)
    List<String> allowed =
        HEAVY
            ? List.of("completed", "refused", "cut", "no answer")
            : List.of("completed", "refused");
    ExecutorService pool = Executors.newFixedThreadPool(uploads);
    long started = System.nanoTime();
    try {
      List<Future<String>> runs = new ArrayList<>();
      for (int i = 0; i < uploads; i++) {
        HttpClient http = clients.get(i % clients.size());
        runs.add(pool.submit(() -> upload(http, total, part, partBody, lastBody)));
      }
      for (Future<String> f : runs) {
        String outcome = f.get();
        String kind = outcome.contains(":") ? outcome.substring(0, outcome.indexOf(':')) : outcome;
        outcomes.merge(kind, 1, Integer::sum);
        if (!kind.equals("completed") && !kind.equals("refused")) {
          reasons.merge(outcome.replaceAll("\\d+", "N"), 1, Integer::sum);
        }
        if (!allowed.contains(kind)) {
          problems.add(outcome);
        }
      }
    } finally {
      pool.shutdownNow();
      storm.set(false);
      sampler.join();
      goodClient.join();
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    awaitEmpty(budget);
    System.out.printf(
        "multi-part storm: %d uploads of %d MiB in %d-byte parts over %d s: %s; budget %d MiB,"
            + " peak reserved %d MiB; heap of this JVM (member and uploaders): peak in use %d MiB,"
            + " peak alive (after a full collection every 2 s, heavy run only) %s, max %d MiB"
            + "%n%s%n%s%n",
        uploads,
        total / MIB,
        part,
        seconds,
        new TreeMap<>(outcomes),
        budget.limit() / MIB,
        budget.peak() / MIB,
        heapPeak.get() / MIB,
        HEAVY ? livePeak.get() / MIB + " MiB" : "not measured",
        Runtime.getRuntime().maxMemory() / MIB,
        goodSigns,
        reasons.isEmpty() ? "" : "other endings: " + new TreeMap<>(reasons));

    assertTrue(
        problems.isEmpty(), "uploads that ended otherwise than " + allowed + ": " + problems);
    assertTrue(outcomes.getOrDefault("refused", 0) > 0, "nothing was refused: " + outcomes);
    assertTrue(budget.peak() <= budget.limit());
    assertEquals(0, goodSigns.failures(), goodSigns.toString());
    assertTrue(goodSigns.count() > 0, goodSigns.toString());
    assertEquals(0, budget.used(), "the budget is back to zero");

    // the budget is whole again: one upload of the same size now completes
    assertEquals("completed", upload(good, total, part, partBody, lastBody));
    awaitEmpty(budget);
    assertEquals(0, budget.used());
  }

  @Test
  void abandonedOperations_giveTheirMemoryBack_onLogoutAndSessionClose() throws Exception {
    m = CryptoTestMember.start(dir, b -> b.bufferBudget(16 * MIB));
    BufferBudget budget = m.member.buffers();
    HttpClient http = m.crypto(HttpClient.Version.HTTP_1_1);
    byte[] mib = partBody((int) MIB, false);

    // logout
    String s = m.openSession(http);
    String op = start(http, s, "sign");
    for (int i = 0; i < 3; i++) {
      assertEquals(204, m.send(http, "POST", "/sessions/" + s + "/operations/" + op, mib).status());
    }
    awaitAtMost(budget, 3 * MIB);
    assertEquals(3 * MIB, budget.used(), "three parts held");
    assertEquals(204, m.post(http, "/sessions/" + s + "/logout", "").status());
    awaitEmpty(budget);

    // session close
    assertEquals(
        204,
        m.post(
                http,
                "/sessions/" + s + "/login",
                "{\"role\":\"co\",\"password\":\"" + CryptoTestMember.PASSWORD + "\"}")
            .status());
    op = start(http, s, "decrypt");
    assertEquals(204, m.send(http, "POST", "/sessions/" + s + "/operations/" + op, mib).status());
    awaitAtMost(budget, MIB);
    assertEquals(MIB, budget.used());
    assertEquals(204, m.send(http, "DELETE", "/sessions/" + s, null).status());
    awaitEmpty(budget);

    // a part past the budget is refused, ends its operation, and changes nothing else
    s = m.openSession(http);
    String kept = start(http, s, "sign");
    assertEquals(204, m.send(http, "POST", "/sessions/" + s + "/operations/" + kept, mib).status());
    op = start(http, s, "sign");
    CryptoTestMember.Answer refused = null;
    for (int i = 0; i < 20 && refused == null; i++) {
      CryptoTestMember.Answer a = m.send(http, "POST", "/sessions/" + s + "/operations/" + op, mib);
      if (a.status() != 204) {
        refused = a;
      }
    }
    assertEquals(409, refused.status(), refused.body());
    assertEquals("CKR_DEVICE_MEMORY", refused.code(), refused.body());
    awaitAtMost(budget, MIB);
    assertEquals(MIB, budget.used(), "only the other operation's part is still held");
    CryptoTestMember.Answer gone =
        m.send(http, "POST", "/sessions/" + s + "/operations/" + op, mib);
    assertEquals("CKR_OPERATION_NOT_INITIALIZED", gone.code(), gone.body());
    CryptoTestMember.Answer signed =
        m.send(http, "POST", "/sessions/" + s + "/operations/" + kept, partBody(0, true));
    assertEquals(200, signed.status(), signed.body());
    awaitEmpty(budget);
    assertEquals(200, m.post(http, "/sessions/" + s + "/sign", m.signRequest()).status());
    assertEquals(204, m.send(http, "DELETE", "/sessions/" + s, null).status());
    assertEquals(0, budget.used());
  }

  private String start(HttpClient http, String session, String kind) throws Exception {
    CryptoTestMember.Answer a =
        m.post(
            http,
            "/sessions/" + session + "/operations",
            "{\"kind\":\""
                + kind
                + "\",\"key\":"
                + (kind.equals("sign") ? m.signingKey : aesKey(http, session))
                + ",\"mechanism\":{\"name\":\""
                + (kind.equals("sign") ? "CKM_ECDSA_SHA256" : "CKM_AES_CBC_PAD")
                + "\""
                + (kind.equals("sign") ? "" : ",\"iv\":\"AAAAAAAAAAAAAAAAAAAAAA==\"")
                + "}}");
    assertEquals(200, a.status(), a.body());
    return a.json().path("operationId").asText();
  }

  private long aesKey(HttpClient http, String session) throws Exception {
    CryptoTestMember.Answer a =
        m.post(
            http,
            "/sessions/" + session + "/keys",
            "{\"spec\":{\"type\":\"AES\",\"bits\":256},\"template\":{\"CKA_LABEL\":\"aes\","
                + "\"CKA_DECRYPT\":true}}");
    assertEquals(200, a.status(), a.body());
    return a.json().path("handle").asLong();
  }

  /** One upload: a session, a sign operation, the parts, the last part; then the session closes. */
  private String upload(HttpClient http, long total, int part, byte[] partBody, byte[] last) {
    String session = null;
    try {
      CryptoTestMember.Answer opened =
          post(http, "/sessions", "{\"keyring\":\"" + CryptoTestMember.KEYRING + "\"}");
      if (opened.status() != 200) {
        return judge(opened);
      }
      session = opened.json().path("sessionId").asText();
      CryptoTestMember.Answer login =
          post(
              http,
              "/sessions/" + session + "/login",
              "{\"role\":\"co\",\"password\":\"" + CryptoTestMember.PASSWORD + "\"}");
      if (login.status() != 204) {
        return judge(login);
      }
      CryptoTestMember.Answer started =
          post(
              http,
              "/sessions/" + session + "/operations",
              "{\"kind\":\"sign\",\"key\":"
                  + m.signingKey
                  + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"}}");
      if (started.status() != 200) {
        return judge(started);
      }
      String op = started.json().path("operationId").asText();
      String path = "/sessions/" + session + "/operations/" + op;
      for (long sent = 0; sent < total; sent += part) {
        CryptoTestMember.Answer a = m.send(http, "POST", path, partBody, PATIENCE);
        if (a.status() != 204) {
          return judge(a);
        }
      }
      CryptoTestMember.Answer a = m.send(http, "POST", path, last, PATIENCE);
      return a.status() == 200 ? "completed" : judge(a);
    } catch (java.io.IOException e) {
      return "no answer: " + e;
    } catch (Exception e) {
      return "other: " + e;
    } finally {
      if (session != null) {
        try {
          m.send(http, "DELETE", "/sessions/" + session, null);
        } catch (Exception e) {
          // the session expires anyway
        }
      }
    }
  }

  private CryptoTestMember.Answer post(HttpClient http, String path, String json) throws Exception {
    return m.send(http, "POST", path, json.getBytes(StandardCharsets.UTF_8), PATIENCE);
  }

  private static String judge(CryptoTestMember.Answer a) throws Exception {
    if (a.status() == 409 && a.code().equals("CKR_DEVICE_MEMORY")) {
      return "refused";
    }
    if (a.status() == 400
        && (a.body().contains("arrived too slowly") || a.body().contains("could not be read"))) {
      return "cut: " + a.body();
    }
    return "other: " + a.status() + " " + a.body();
  }

  private static byte[] partBody(int size, boolean last) {
    byte[] data = new byte[size];
    for (int i = 0; i < size; i++) {
      data[i] = (byte) i;
    }
    return ("{\"data\":\"" + Base64.getEncoder().encodeToString(data) + "\",\"last\":" + last + "}")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Waits (up to 10 s) for the answers' reservations to go back: they go once written. */
  private static void awaitEmpty(BufferBudget budget) {
    awaitAtMost(budget, 0);
  }

  private static void awaitAtMost(BufferBudget budget, long bytes) {
    for (int i = 0; i < 1000 && budget.used() > bytes; i++) {
      sleep(10);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
