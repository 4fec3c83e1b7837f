package dev.keyring.e2e.cluster;

import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load through the provider for a procedure that lasts a while: threads sign without pause with a
 * keyring key (verified by the JDK), and generate EC key pairs at a steady pace (one every {@code
 * pace} ms over all threads), spread over several keyrings so that none outgrows its 256 objects.
 * Acknowledged key generations ({@code keyring/label}) and every failure are kept.
 */
final class PacedKeyLoad implements AutoCloseable {
  private final Provider provider;
  private final KeyPair signingKey;
  private final List<String> keyrings;
  private final long paceNanos;
  private final int maxPerKeyring;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong nextKeygen = new AtomicLong(System.nanoTime());
  private final AtomicInteger sequence = new AtomicInteger();
  final AtomicLong signs = new AtomicLong();
  final AtomicLong signFailures = new AtomicLong();
  final AtomicLong keygenFailures = new AtomicLong();
  final Queue<String> acknowledged = new ConcurrentLinkedQueue<>();
  final LoadFailures failures = new LoadFailures();

  PacedKeyLoad(
      Provider provider,
      KeyPair signingKey,
      List<String> keyrings,
      int threads,
      long paceMillis,
      int maxPerKeyring) {
    this.provider = provider;
    this.signingKey = signingKey;
    this.keyrings = List.copyOf(keyrings);
    this.paceNanos = paceMillis * 1_000_000L;
    this.maxPerKeyring = maxPerKeyring;
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::loop, "paced-load-" + i);
      t.setDaemon(true);
      this.threads.add(t);
      t.start();
    }
  }

  private void loop() {
    byte[] msg = "during the update".getBytes(StandardCharsets.UTF_8);
    while (running.get()) {
      try {
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        s.initSign(signingKey.getPrivate());
        s.update(msg);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(signingKey.getPublic());
        v.update(msg);
        if (!v.verify(sig)) {
          throw new IllegalStateException("a signature did not verify");
        }
        signs.incrementAndGet();
      } catch (Exception | Error e) {
        signFailures.incrementAndGet();
        note("sign", e);
      }
      long due = nextKeygen.get();
      if (System.nanoTime() >= due
          && nextKeygen.compareAndSet(due, System.nanoTime() + paceNanos)) {
        keygen();
      }
    }
  }

  /** Whether every keyring holds its share of key generations (no more are made). */
  boolean exhausted() {
    return sequence.get() / keyrings.size() >= maxPerKeyring;
  }

  private void keygen() {
    int n = sequence.incrementAndGet();
    String keyring = keyrings.get(n % keyrings.size());
    if (n / keyrings.size() >= maxPerKeyring) {
      return;
    }
    String label = "paced-" + n;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
      g.initialize(
          KeyringKeyGenParameterSpec.builder()
              .label(label)
              .keyring(keyring)
              .curve("P-256")
              .build());
      g.generateKeyPair();
      acknowledged.add(keyring + "/" + label);
    } catch (Exception | Error e) {
      keygenFailures.incrementAndGet();
      note("keygen " + label, e);
    }
  }

  private void note(String what, Throwable e) {
    failures.note(what, e);
  }

  /** Failure messages by kind (first 200), for reports. */
  Map<String, Integer> failureSummary() {
    return failures.summary(300);
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(60_000);
    }
  }
}
