package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.Role;
import dev.keyring.testing.cluster.ClusterHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member stopped cleanly while an application writes through it fails none of the application's
 * calls: it answers what it took, and ends its crypto channel connections with a goodbye that tells
 * the client the rest was not served, so the client sends the rest, writes included, to another
 * member. Three members as their own JVMs, a client writing over mutual TLS on loopback, a member
 * that is not the primary stopped (SIGTERM) under load; every acknowledged write is found
 * afterwards, each once.
 */
@Timeout(300)
class CleanStopTest {
  private static final String KEYRING = "app1";
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final int THREADS = 4;
  private static final int LIVE_PER_THREAD = 10;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aMemberStoppedCleanlyUnderLoad_failsNoCall_andLosesNoWrite() throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      Path conf =
          h.registerClient(0, "stop-client", dir.resolve("client").resolve("Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
        try (KeyringChannel s = client.openSession(KEYRING)) {
          KeyringSetup.initialize(s, INITIAL, PASSWORD);
        }
        h.awaitConverged(WAIT);
        Set<String> live = ConcurrentHashMap.newKeySet();
        AtomicInteger writes = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService writers = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int thread = t;
          done.add(writers.submit(() -> write(client, thread, running, live, writes, failures)));
        }
        await("writes before the stop", () -> writes.get() >= 200, failures);
        int stopped = notThePrimary(h); // it forwards the writes it takes to the primary
        long before = h.state(stopped).cryptoRequests();
        await(
            "writes through the member to stop",
            () -> h.state(stopped).cryptoRequests() >= before + 20,
            failures);
        int writesBefore = writes.get();
        h.member(stopped).stop(); // SIGTERM, as an operator stops a member, under load
        await("writes after the stop", () -> writes.get() >= writesBefore + 200, failures);
        running.set(false);
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
        writers.shutdown();
        System.out.printf(
            "clean stop: %d writes acknowledged (%d before the stop), %d failed%n",
            writes.get(), writesBefore, failures.size());
        assertEquals(List.of(), failures, "no call failed");
        assertFalse(h.member(stopped).isAlive(), "the member stopped");

        try (KeyringChannel s = client.openSession(KEYRING)) {
          s.login(Role.KRCO, PASSWORD);
          List<KeyringObject> found =
              s.findObjects(Attributes.builder().objectClass(ObjectClass.DATA).build());
          Set<String> labels = new HashSet<>();
          for (KeyringObject o : found) {
            labels.add(o.label());
          }
          assertEquals(live, labels, "every acknowledged creation, less the destroyed");
          assertEquals(live.size(), found.size(), "each once");
        }
      }
    }
  }

  /** A member that lists itself as not the primary. */
  private static int notThePrimary(ClusterHarness h) {
    for (int i = 0; i < 3; i++) {
      for (JsonNode m : h.members(i)) {
        if (m.path("local").asBoolean() && !m.path("primaryNode").asBoolean()) {
          return i;
        }
      }
    }
    throw new AssertionError("every member is the primary");
  }

  /**
   * Creates data objects, each with a label of its own, and destroys the oldest of its own once it
   * has {@value #LIVE_PER_THREAD} (within the keyring's 256 objects), until {@code running} is
   * false; {@code live} holds the labels of the objects whose creation and no destruction was
   * acknowledged, {@code writes} counts the acknowledged writes.
   */
  private static Void write(
      KeyringClient client,
      int thread,
      AtomicBoolean running,
      Set<String> live,
      AtomicInteger writes,
      List<String> failures)
      throws Exception {
    Deque<KeyringObject> own = new ArrayDeque<>();
    try (KeyringChannel s = client.openSession(KEYRING)) {
      s.login(Role.KRCO, PASSWORD);
      for (int n = 0; running.get(); n++) {
        String label = "w" + thread + "-" + n;
        try {
          own.add(
              s.createObject(
                  Attributes.builder()
                      .objectClass(ObjectClass.DATA)
                      .label(label)
                      .set(AttributeType.CKA_VALUE, label.getBytes(StandardCharsets.UTF_8))
                      .build()));
          live.add(label);
          writes.incrementAndGet();
        } catch (Exception e) {
          failures.add("create " + label + ": " + e);
        }
        if (own.size() > LIVE_PER_THREAD) {
          KeyringObject oldest = own.removeFirst();
          try {
            s.destroyObject(oldest.handle());
            live.remove(oldest.label());
            writes.incrementAndGet();
          } catch (Exception e) {
            failures.add("destroy " + oldest.label() + ": " + e);
          }
        }
      }
    }
    return null;
  }

  private static void await(
      String what, java.util.function.BooleanSupplier condition, List<String> failures)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline || failures.size() > 10) {
        throw new AssertionError(what + ": not within " + WAIT.toSeconds() + " s; " + failures);
      }
      Thread.sleep(10);
    }
  }
}
