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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load from application threads through the provider: each thread signs with a shared keyring key
 * (verified by the JDK) and, every {@code keygenEvery} signatures, generates an EC key pair with a
 * unique label on the keyring. Acknowledged key generations (labels) and every failure are kept.
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
  final Queue<String> acknowledged = new ConcurrentLinkedQueue<>();
  final Queue<String> failures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger sequence = new AtomicInteger();
  private final String prefix;
  private final int maxKeygens;

  ProviderLoad(
      Provider provider,
      KeyPair signingKey,
      String keyring,
      String prefix,
      int threads,
      int keygenEvery,
      int maxKeygens) {
    this.maxKeygens = maxKeygens;
    this.provider = provider;
    this.signingKey = signingKey;
    this.keyring = keyring;
    this.prefix = prefix;
    this.keygenEvery = keygenEvery;
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::loop, "load-" + i);
      t.setDaemon(true);
      this.threads.add(t);
      t.start();
    }
  }

  private void loop() {
    byte[] msg = "under load".getBytes(StandardCharsets.UTF_8);
    long n = 0;
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
      if (keygenEvery > 0 && n % keygenEvery == 0 && acknowledged.size() < maxKeygens) {
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

  private void note(String what, Throwable e) {
    if (failures.size() < 200) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      failures.add(what + ": " + e + (root != e ? " <- " + root : ""));
    }
  }

  /** Failure messages by kind (first 200), for reports. */
  Map<String, Integer> failureSummary() {
    Map<String, Integer> m = new TreeMap<>();
    for (String f : failures) {
      String key = f.length() > 400 ? f.substring(0, 400) : f;
      key = key.replaceAll("-\\d+:", "-N:");
      m.merge(key, 1, Integer::sum);
    }
    return m;
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(60_000);
    }
  }
}
