package dev.keyring.e2e.cluster;

import static dev.keyring.testing.cluster.ClusterHarness.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite at process level: three members as their own JVMs, proxies on every link, and an
 * application with the provider doing signatures and key generations from 8 threads throughout.
 * After each scenario every live member reports the same position and state digest, and every key
 * generation the application saw succeed is on the cluster (so, the digests being equal, on every
 * member).
 */
@Timeout(900)
class ClusterFaultSuiteTest {
  private static final String KEYRING_INITIAL = "keyring-initial-1";
  private static final String KEYRING_PW = "keyring-password-2";
  private static final Duration SETTLE = Duration.ofSeconds(40);
  private static final int THREADS = 8;
  private static final int KEYGEN_EVERY = 20;
  // a keyring holds 256 objects: at most this many acknowledged key generations per scenario, and
  // each scenario's keys are deleted once checked
  private static final int MAX_KEYGENS = 60;
  // how much the application must get done at each step of a scenario (before a fault, under it,
  // after healing): waiting for work done rather than for time makes a step as long as it needs
  private static final int PROGRESS_SIGNS = 150;

  @Test
  void underLoad_killCutIsolateDeleteRestart_loseNoAcknowledgedWrite(@TempDir Path dir)
      throws Exception {
    List<String> report = new ArrayList<>();
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", KEYRING_INITIAL, 1, 100);
      Path conf =
          h.registerClient(0, "fault-client", dir.resolve("client").resolve("Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app100")) {
        KeyringSetup.initialize(s, KEYRING_INITIAL, KEYRING_PW);
      }
      h.awaitConverged(SETTLE);
      KeyringProvider provider = new KeyringProvider(conf);
      Set<String> acknowledged = Collections.synchronizedSet(new HashSet<>());
      try {
        KeyStore ks = load(provider);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(
            KeyringKeyGenParameterSpec.builder()
                .label("signing")
                .keyring("app100")
                .curve("P-256")
                .build());
        KeyPair signing = g.generateKeyPair();
        assertTrue(Signing.signsAndVerifies(provider, signing));

        // 1. kill -9 a non-primary: not one signature fails
        try (ProviderLoad load = load(provider, signing, "kill")) {
          progress(load, "before the kill");
          h.member(2).kill();
          progress(load, "after the kill");
          load.close();
          report.add(line("kill -9 member 2 (not primary)", load));
          assertEquals(0, load.signFailures.get(), () -> "failed signs: " + load.failureSummary());
          acknowledged.addAll(load.acknowledged);
        }
        checkConverged(h, provider, acknowledged, report);

        // 2. restart it: the application uses it again without a restart of its own
        h.member(2).restart();
        h.awaitConverged(SETTLE);
        try (ProviderLoad load = load(provider, signing, "restart")) {
          ClusterHarness.await(
              "the application's requests reach the restarted member",
              SETTLE,
              () -> h.state(2).cryptoRequests() > 50);
          load.close();
          report.add(
              line("restart member 2, requests it served: " + h.state(2).cryptoRequests(), load));
          assertEquals(0, load.signFailures.get(), () -> "failed signs: " + load.failureSummary());
          acknowledged.addAll(load.acknowledged);
        }
        checkConverged(h, provider, acknowledged, report);

        // 3. cut member 1 from the primary: writes through it fail read-only, reads continue
        try (ProviderLoad load = load(provider, signing, "cut")) {
          progress(load, "before the cut");
          h.cut(1, 0);
          ClusterHarness.await(
              "member 1 read-only", SETTLE, () -> "Read-Only".equals(h.state(1).mode()));
          MemberProcess.SimRun refused = createKeyringThrough(h, 1, "cutwrite");
          assertNotEquals(0, refused.exit(), refused::toString);
          assertTrue(refused.err().contains("read-only"), refused::toString);
          assertTrue(ok(h.member(1), "keyring", "list").out().contains("app100"));
          progress(load, "while member 1 is cut off");
          h.healAll();
          ClusterHarness.await(
              "member 1 read-write", SETTLE, () -> "Read-Write".equals(h.state(1).mode()));
          progress(load, "after the heal");
          load.close();
          report.add(line("cut member 1 from the primary, then heal", load));
          assertEquals(0, load.signFailures.get(), () -> "failed signs: " + load.failureSummary());
          acknowledged.addAll(load.acknowledged);
        }
        checkConverged(h, provider, acknowledged, report);

        // 4. cut the primary from every other member: the others are read-only, nothing diverges
        try (ProviderLoad load = load(provider, signing, "isolate")) {
          progress(load, "before the isolation");
          h.isolate(0);
          ClusterHarness.await(
              "members 1 and 2 read-only",
              SETTLE,
              () -> "Read-Only".equals(h.state(1).mode()) && "Read-Only".equals(h.state(2).mode()));
          for (int i = 1; i <= 2; i++) {
            MemberProcess.SimRun refused = createKeyringThrough(h, i, "isowrite" + i);
            assertNotEquals(0, refused.exit(), refused::toString);
            assertTrue(refused.err().contains("read-only"), refused::toString);
          }
          progress(load, "while the primary is isolated");
          h.healAll();
          progress(load, "after the heal");
          load.close();
          report.add(line("cut the primary from the other members, then heal", load));
          assertEquals(0, load.signFailures.get(), () -> "failed signs: " + load.failureSummary());
          acknowledged.addAll(load.acknowledged);
        }
        checkConverged(h, provider, acknowledged, report);

        // 5. the primary dies and is deleted as unrecoverable: another is promoted, writes resume
        String oldPrimary = h.localMemberId(0);
        try (ProviderLoad load = load(provider, signing, "delete")) {
          progress(load, "before the primary is killed");
          h.member(0).kill();
          ClusterHarness.await(
              "member 0 not visible to member 1",
              SETTLE,
              () ->
                  h.memberList(1)
                      .lines()
                      .anyMatch(l -> l.matches("^[ P][ *]x.*") && l.contains(oldPrimary)));
          ok(
              h.member(1),
              "cluster",
              "member",
              "delete",
              "-memberid",
              oldPrimary,
              "-copassword",
              ClusterHarness.CO);
          ClusterHarness.await(
              "a new primary",
              SETTLE,
              () ->
                  "Read-Write".equals(h.state(1).mode()) && "Read-Write".equals(h.state(2).mode()));
          int before = load.acknowledged.size();
          try {
            ClusterHarness.await(
                "key generations resume", SETTLE, () -> load.acknowledged.size() > before + 3);
          } catch (IllegalStateException e) {
            throw new AssertionError(
                e.getMessage()
                    + "; failures: "
                    + load.failures
                    + "\n--- load threads\n"
                    + ProviderLoad.threads()
                    + "\n"
                    + h.memberList(1)
                    + "\n--- member 1\n"
                    + tail(h.member(1).output())
                    + "\n--- member 2\n"
                    + tail(h.member(2).output()),
                e);
          }
          load.close();
          report.add(line("kill -9 the primary, delete it, promotion", load));
          assertEquals(0, load.signFailures.get(), () -> "failed signs: " + load.failureSummary());
          acknowledged.addAll(load.acknowledged);
        }
        checkConverged(h, provider, acknowledged, report);
        assertEquals(2, h.liveStates().size());
      } finally {
        provider.close();
        System.out.println(
            "fault suite (" + THREADS + " threads, keygen every " + KEYGEN_EVERY + " signs):");
        report.forEach(l -> System.out.println("  " + l));
      }
    }
  }

  private static String tail(String text) {
    return text.length() > 6_000 ? text.substring(text.length() - 6_000) : text;
  }

  private static ProviderLoad load(KeyringProvider provider, KeyPair signing, String prefix) {
    return new ProviderLoad(
        provider, signing, "app100", prefix, THREADS, KEYGEN_EVERY, MAX_KEYGENS);
  }

  private static String line(String scenario, ProviderLoad load) {
    return scenario
        + ": signs "
        + load.signs.get()
        + ", failed signs "
        + load.signFailures.get()
        + ", key generations acknowledged "
        + load.acknowledged.size()
        + ", failed "
        + load.keygenFailures.get()
        + (load.keygenFailures.get() > 0 ? " " + load.failureSummary() : "");
  }

  private static KeyStore load(KeyringProvider provider) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        new ByteArrayInputStream("slot=app100\n".getBytes(StandardCharsets.UTF_8)),
        KEYRING_PW.toCharArray());
    return ks;
  }

  /** Equal digests on every live member; every acknowledged key on the cluster. */
  private static void checkConverged(
      ClusterHarness h, KeyringProvider provider, Set<String> acknowledged, List<String> report)
      throws Exception {
    ClusterHarness.State s = h.awaitConverged(SETTLE);
    Set<String> aliases = new HashSet<>(Collections.list(load(provider).aliases()));
    Set<String> missing = new HashSet<>(acknowledged);
    missing.removeAll(aliases);
    assertEquals(Set.of(), missing, "acknowledged key generations missing from the cluster");
    // the checked keys are deleted (through whichever member is primary now), so that the next
    // scenario has room in the keyring; the deletes are checked by the next convergence
    KeyStore ks = load(provider);
    for (String alias : acknowledged) {
      ks.deleteEntry(alias);
    }
    report.add(
        "  converged: "
            + h.liveStates().size()
            + " members at "
            + s.position()
            + ", digest "
            + s.digest().substring(0, 16)
            + "…, "
            + acknowledged.size()
            + " acknowledged keys all present (then deleted)");
    acknowledged.clear();
  }

  private static MemberProcess.SimRun createKeyringThrough(ClusterHarness h, int i, String label) {
    return h.member(i)
        .sim(
            "keyring",
            "create",
            "-label",
            label,
            "-password",
            KEYRING_INITIAL,
            "-partition",
            ClusterHarness.PARTITION,
            "-copassword",
            ClusterHarness.CO);
  }

  /**
   * Waits until the application has made {@value #PROGRESS_SIGNS} more signatures: faults strike a
   * running application, and it is seen to run on through them.
   */
  private static void progress(ProviderLoad load, String when) throws InterruptedException {
    long target = load.signs.get() + PROGRESS_SIGNS;
    ClusterHarness.await(
        "the application makes " + PROGRESS_SIGNS + " signatures " + when,
        SETTLE,
        () -> load.signs.get() >= target);
  }
}
