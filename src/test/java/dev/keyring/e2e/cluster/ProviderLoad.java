package dev.keyring.e2e.cluster;

import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Signature;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load from application threads through the provider: each thread signs with a shared keyring key
 * (verified by the JDK) and, every {@code keygenEvery} signatures, generates an EC key pair with a
 * unique label on the keyring. Acknowledged key generations (labels) and every failure are kept.
 *
 * <p>With a {@link Churn}, each thread also deletes: once it holds {@code livePerThread} keys of
 * its own, its next write is {@code KeyStore.deleteEntry} of its oldest, and every key generation
 * and delete is recorded in the churn's {@link FaultHistory} (classified as {@link
 * FaultWorkload#classify}), for {@link FaultCheck}.
 */
final class ProviderLoad implements AutoCloseable {
  private final Provider provider;
  private final KeyPair signingKey;
  private final String keyring;
  private final int keygenEvery;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  final AtomicLong signs = new AtomicLong();
  final AtomicLong signFailures = new AtomicLong();
  final AtomicLong keygenFailures = new AtomicLong();
  final AtomicLong deleteFailures = new AtomicLong();
  final Queue<String> acknowledged = new ConcurrentLinkedQueue<>();
  final LoadFailures failures = new LoadFailures();
  private final AtomicInteger sequence = new AtomicInteger();
  private final String prefix;
  private final int maxKeygens;
  private final Churn churn;

  /**
   * Deletes through the provider's key store as well as key generations, all recorded.
   *
   * @param history where each key generation and delete is recorded
   * @param keyStore a loaded key store of the keyring (one per thread, asked again after a failure)
   * @param livePerThread how many keys a thread holds before it deletes its oldest
   */
  record Churn(FaultHistory history, Callable<KeyStore> keyStore, int livePerThread) {}

  ProviderLoad(
      Provider provider,
      KeyPair signingKey,
      String keyring,
      String prefix,
      int threads,
      int keygenEvery,
      int maxKeygens) {
    this(provider, signingKey, keyring, prefix, threads, keygenEvery, maxKeygens, null);
  }

  ProviderLoad(
      Provider provider,
      KeyPair signingKey,
      String keyring,
      String prefix,
      int threads,
      int keygenEvery,
      int maxKeygens,
      Churn churn) {
    this.churn = churn;
    this.maxKeygens = maxKeygens;
    this.provider = provider;
    this.signingKey = signingKey;
    this.keyring = keyring;
    this.prefix = prefix;
    this.keygenEvery = keygenEvery;
    for (int i = 0; i < threads; i++) {
      int thread = i;
      Thread t = new Thread(() -> loop(thread), "load-" + i);
      t.setDaemon(true);
      this.threads.add(t);
      t.start();
    }
  }

  private void loop(int thread) {
    byte[] msg = "under load".getBytes(StandardCharsets.UTF_8);
    long n = 0;
    Deque<String> live = new ArrayDeque<>();
    KeyStore[] ks = new KeyStore[1];
    while (running.get()) {
      n++;
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
      if (churn != null && keygenEvery > 0 && n % keygenEvery == 0) {
        if (live.size() >= churn.livePerThread()) {
          delete(thread, live, ks);
        } else {
          generate(thread, live);
        }
      } else if (keygenEvery > 0 && n % keygenEvery == 0 && acknowledged.size() < maxKeygens) {
        String label = prefix + "-" + sequence.incrementAndGet();
        try {
          KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
          g.initialize(
              KeyringKeyGenParameterSpec.builder()
                  .label(label)
                  .keyring(keyring)
                  .curve("P-256")
                  .build());
          g.generateKeyPair();
          acknowledged.add(label);
        } catch (Exception | Error e) {
          keygenFailures.incrementAndGet();
          note("keygen " + label, e);
        }
      }
    }
  }

  private void generate(int thread, Deque<String> live) {
    String label = prefix + "-" + sequence.incrementAndGet();
    long start = churn.history().now();
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
      g.initialize(
          KeyringKeyGenParameterSpec.builder()
              .label(label)
              .keyring(keyring)
              .curve("P-256")
              .build());
      g.generateKeyPair();
      churn.history().record(thread, "create", label, start, FaultHistory.Outcome.OK, null);
      acknowledged.add(label);
      live.add(label);
    } catch (Exception | Error e) {
      keygenFailures.incrementAndGet();
      note("keygen " + label, e);
      churn.history().record(thread, "create", label, start, FaultWorkload.classify(e), "" + e);
    }
  }

  private void delete(int thread, Deque<String> live, KeyStore[] ks) {
    String label = live.peekFirst();
    long start = churn.history().now();
    try {
      if (ks[0] == null) {
        ks[0] = churn.keyStore().call();
      }
      ks[0].deleteEntry(label);
      churn.history().record(thread, "delete", label, start, FaultHistory.Outcome.OK, null);
      live.removeFirst();
    } catch (Exception | Error e) {
      deleteFailures.incrementAndGet();
      note("delete " + label, e);
      FaultHistory.Outcome out = FaultWorkload.classify(e);
      churn.history().record(thread, "delete", label, start, out, "" + e);
      if (out != FaultHistory.Outcome.REFUSED) {
        live.removeFirst(); // maybe gone: the checker does not count on it either way
      }
      ks[0] = null;
    }
  }

  private void note(String what, Throwable e) {
    failures.note(what, e);
  }

  /**
   * Where the application's threads (the load's and the client's routing) are, for a report when
   * they stop making progress.
   */
  static String threads() {
    StringBuilder sb = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (t, stack) -> {
              if (t.getName().startsWith("load-") || t.getName().startsWith("keyring-routing")) {
                sb.append(t.getName()).append(' ').append(t.getState()).append('\n');
                for (int i = 0; i < Math.min(stack.length, 25); i++) {
                  sb.append("    at ").append(stack[i]).append('\n');
                }
              }
            });
    return sb.toString();
  }

  /** Failure messages by kind (first 200), for reports. */
  Map<String, Integer> failureSummary() {
    return failures.summary(400);
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(60_000);
    }
  }
}
