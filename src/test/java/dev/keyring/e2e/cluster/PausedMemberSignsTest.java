package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.SystemProperties;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cluster.ClusterHarness;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A paused member does not hold up signatures: three members as their own JVMs, application threads
 * signing through the provider, a follower stopped ({@code kill -STOP}) for 10 s and then the
 * primary for 10 s ({@code -Dkeyring.paused.seconds=N} for longer; the runs in {@code
 * docs/client-routing.md} paused 15 s), with the client's defaults: the silent member is abandoned
 * at the answer deadline and the sign goes on elsewhere (hedging, on by default, sends it to a
 * second member earlier, after the hedge delay). Each pause prints the signs started during it,
 * their maximum and p99 latency, and the failed signs; the test asserts only that no sign failed
 * (timings depend on the machine). The provider takes the client's defaults, so {@code
 * -Dkeyring.client.hedging=true|false} and {@code -Dkeyring.client.wire=http|channel} on the Maven
 * command line choose what is measured; the output names both.
 */
@Timeout(600)
class PausedMemberSignsTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final Duration SETTLE = Duration.ofSeconds(40);
  private static final Duration PAUSE =
      Duration.ofSeconds(
          SystemProperties.wholeNumber("keyring.paused.seconds", 10, 1, 3_600, "seconds"));
  private static final int THREADS = 4;

  /** One sign: when it started, how long it took, whether it failed. */
  private record Sample(long start, long nanos, String failure) {}

  @Test
  void aPausedFollower_thenAPausedPrimary_holdUpNoSignature(@TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      Path conf =
          h.registerClient(1, "paused-client", dir.resolve("client").resolve("Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app1")) {
        KeyringSetup.initialize(s, INITIAL, PASSWORD);
      }
      h.awaitConverged(SETTLE);
      KeyringProvider provider = new KeyringProvider(conf);
      try {
        load(provider); // logs in
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(
            KeyringKeyGenParameterSpec.builder()
                .label("signing")
                .keyring("app1")
                .curve("P-256")
                .build());
        KeyPair signing = g.generateKeyPair();
        h.awaitConverged(SETTLE);
        Queue<Sample> samples = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
          Thread t = new Thread(() -> signLoop(provider, signing, running, samples), "signer-" + i);
          t.setDaemon(true);
          threads.add(t);
          t.start();
        }
        try {
          Thread.sleep(3_000); // warm: sessions on every member, latencies known
          long[] follower = pause(h, 1);
          Thread.sleep(5_000);
          long[] primary = pause(h, 0);
          Thread.sleep(5_000);
          running.set(false);
          for (Thread t : threads) {
            t.join(60_000);
          }
          TransportOptions defaults = TransportOptions.builder().build();
          System.out.printf(
              "paused members: hedging %s, answer deadline %d ms, wire %s%n",
              defaults.hedging() ? "on" : "off",
              defaults.answerDeadline().toMillis(),
              defaults.wire());
          String paused = " paused " + PAUSE.toSeconds() + " s";
          report("follower (member 1, the registered one)" + paused, follower, samples);
          report("primary (member 0)" + paused, primary, samples);
          long failed = samples.stream().filter(x -> x.failure() != null).count();
          System.out.printf(
              "paused members: %d signs in all, %d failed%s%n",
              samples.size(),
              failed,
              failed == 0
                  ? ""
                  : ": "
                      + samples.stream()
                          .filter(x -> x.failure() != null)
                          .map(Sample::failure)
                          .distinct()
                          .limit(5)
                          .toList());
          assertEquals(0, failed, "signs failed");
          assertTrue(samples.size() > 100, "the threads kept signing: " + samples.size());
        } finally {
          running.set(false);
        }
      } finally {
        provider.close();
      }
    }
  }

  /** Pauses member {@code i} for {@link #PAUSE}; returns when it started and ended (nanoTime). */
  private static long[] pause(ClusterHarness h, int i) throws Exception {
    long start = System.nanoTime();
    h.member(i).pause();
    try {
      Thread.sleep(PAUSE.toMillis());
    } finally {
      h.member(i).resume();
    }
    return new long[] {start, System.nanoTime()};
  }

  private static void report(String what, long[] window, Queue<Sample> samples) {
    long[] nanos =
        samples.stream()
            .filter(x -> x.start() >= window[0] && x.start() < window[1])
            .mapToLong(Sample::nanos)
            .sorted()
            .toArray();
    long failed =
        samples.stream()
            .filter(x -> x.start() >= window[0] && x.start() < window[1])
            .filter(x -> x.failure() != null)
            .count();
    long max = nanos.length == 0 ? 0 : nanos[nanos.length - 1];
    long p99 = nanos.length == 0 ? 0 : nanos[Math.max(0, (int) Math.ceil(nanos.length * 0.99) - 1)];
    long p50 = nanos.length == 0 ? 0 : nanos[nanos.length / 2];
    System.out.printf(
        "paused members: %s: %d signs started, failed %d, latency p50 %.1f ms, p99 %.1f ms,"
            + " max %.1f ms%n",
        what, nanos.length, failed, p50 / 1e6, p99 / 1e6, max / 1e6);
  }

  private static void signLoop(
      KeyringProvider provider, KeyPair kp, AtomicBoolean running, Queue<Sample> samples) {
    byte[] msg = "while a member is paused".getBytes(StandardCharsets.UTF_8);
    while (running.get()) {
      long start = System.nanoTime();
      String failure = null;
      try {
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        s.initSign(kp.getPrivate());
        s.update(msg);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(kp.getPublic());
        v.update(msg);
        if (!v.verify(sig)) {
          failure = "a signature did not verify";
        }
      } catch (Exception | Error e) {
        failure = e.toString();
      }
      samples.add(new Sample(start, System.nanoTime() - start, failure));
    }
  }

  private static KeyStore load(KeyringProvider provider) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        new ByteArrayInputStream("slot=app1\n".getBytes(StandardCharsets.UTF_8)),
        PASSWORD.toCharArray());
    return ks;
  }
}
