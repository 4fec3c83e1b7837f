package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} on the member's admin API, scraped while four threads sign through the
 * provider: the counters of the provider's wire (the crypto channel by default) move between
 * scrapes and account for every signature.
 */
@KeyringCluster
class MemberMetricsScrapeTest {
  // the provider's wire: the crypto channel unless the JVM chose HTTP
  private static final String WIRE =
      "http".equalsIgnoreCase(System.getProperty("keyring.client.wire", "").strip())
          ? "http"
          : "channel";
  private static final String OTHER_WIRE = WIRE.equals("http") ? "channel" : "http";
  private static final String SIGN_OK =
      "keyring_crypto_requests_total{operation=\"sign\",status=\"200\",wire=\"" + WIRE + "\"}";
  private static final String SIGN_COUNT =
      "keyring_crypto_request_duration_seconds_count{operation=\"sign\",wire=\"" + WIRE + "\"}";

  @Test
  void scrapedDuringLoad_countersMove_andCountEverySignature(TestCluster cluster) throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair();
    String before = cluster.metrics(0);
    long signedBefore = value(before, SIGN_OK);
    String signOther =
        "keyring_crypto_requests_total{operation=\"sign\",status=\"200\",wire=\""
            + OTHER_WIRE
            + "\"}";
    long otherBefore = value(before, signOther);

    int threads = 4;
    int each = 40;
    CountDownLatch halfway = new CountDownLatch(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      done.add(
          pool.submit(
              () -> {
                for (int i = 0; i < each; i++) {
                  Signatures.sign(pair, "load " + i);
                  if (i == each / 2) {
                    halfway.countDown();
                  }
                }
                return null;
              }));
    }
    halfway.await();
    String during = cluster.metrics(0); // while the threads still sign
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
    String after = cluster.metrics(0);

    long signedDuring = value(during, SIGN_OK);
    long signedAfter = value(after, SIGN_OK);
    assertTrue(signedDuring >= signedBefore + threads * (each / 2 + 1), during);
    assertEquals(signedBefore + threads * each, signedAfter, after);
    assertEquals(signedAfter, value(after, SIGN_COUNT), after);
    assertEquals(
        signedAfter,
        value(
            after,
            "keyring_crypto_request_duration_seconds_bucket{operation=\"sign\",wire=\""
                + WIRE
                + "\",le=\"+Inf\"}"),
        after);
    assertEquals(otherBefore, value(after, signOther), "no signature went over the other wire");
    assertTrue(value(after, "keyring_boundary_key_cache_hits_total") > 0, after);
    assertTrue(after.contains("# TYPE keyring_crypto_request_duration_seconds histogram"), after);
    assertTrue(after.contains("keyring_crypto_sessions_open "), after);
    assertEquals(1, value(after, "keyring_cluster_primary"), after);
  }

  /** The value of the sample {@code name} (with its labels), or 0 when it is absent. */
  private static long value(String metrics, String name) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(name) + " (\\d+)$", Pattern.MULTILINE).matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
