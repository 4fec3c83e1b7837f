package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cluster.ClusterHarness;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write acknowledged to a client is never lost when the primary is replaced while it is in fact
 * alive: three members as their own JVMs, an application generating keys and signing through the
 * provider throughout, and the operator deleting the primary from a survivor as the documentation
 * says. The old primary can no longer gather a majority, so whatever it took after it was cut off
 * is never acknowledged; every acknowledged key generation is on every live member at the end. Each
 * scenario prints its figures: acknowledged and failed key generations, and the write outage (the
 * longest time without an acknowledged key generation).
 */
@Timeout(600)
class AcknowledgedWritesTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final Duration SETTLE = Duration.ofSeconds(40);
  private static final int THREADS = 6;
  private static final int KEYGEN_EVERY = 5;
  private static final int MAX_KEYGENS = 200;

  @Test
  void primaryCutOffFromTheOthers_deletedFromASurvivor_whileClientsStillReachIt(@TempDir Path dir)
      throws Exception {
    scenario(
        dir,
        "isolate the primary (clients still reach it), delete it, keep writing, heal",
        new Fault() {
          @Override
          public void strike(ClusterHarness h) {
            h.isolate(0);
          }

          @Override
          public void heal(ClusterHarness h) {
            h.healAll();
          }
        });
  }

  @Test
  void primaryPaused_deletedFromASurvivor_thenResumed(@TempDir Path dir) throws Exception {
    scenario(
        dir,
        "kill -STOP the primary, delete it, kill -CONT it",
        new Fault() {
          @Override
          public void strike(ClusterHarness h) throws Exception {
            h.member(0).pause();
          }

          @Override
          public void heal(ClusterHarness h) throws Exception {
            h.member(0).resume();
          }
        });
  }

  private interface Fault {
    void strike(ClusterHarness h) throws Exception;

    void heal(ClusterHarness h) throws Exception;
  }

  private static void scenario(Path dir, String name, Fault fault) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      Path conf =
          h.registerClient(1, "ack-client", dir.resolve("client").resolve("Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app1")) {
        KeyringSetup.initialize(s, INITIAL, PASSWORD);
      }
      h.awaitConverged(SETTLE);
      String oldPrimary = h.localMemberId(0);
      KeyringProvider provider = new KeyringProvider(conf);
      try {
        load(provider).size(); // logs in
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(
            KeyringKeyGenParameterSpec.builder()
                .label("signing")
                .keyring("app1")
                .curve("P-256")
                .build());
        KeyPair signing = g.generateKeyPair();
        Set<String> acknowledged;
        OutageWatch outage;
        try (ProviderLoad load =
            new ProviderLoad(
                provider, signing, "app1", "ack", THREADS, KEYGEN_EVERY, MAX_KEYGENS)) {
          outage = new OutageWatch(load.acknowledged::size);
          ClusterHarness.await(
              "key generations before the fault", SETTLE, () -> load.acknowledged.size() >= 10);
          fault.strike(h);
          ClusterHarness.await(
              "member 0 not visible to member 1",
              SETTLE,
              () ->
                  h.memberList(1)
                      .lines()
                      .anyMatch(l -> l.matches("^[ P][ *]x.*") && l.contains(oldPrimary)));
          ClusterHarness.ok(
              h.member(1),
              "cluster",
              "member",
              "delete",
              "-memberid",
              oldPrimary,
              "-copassword",
              ClusterHarness.CO);
          int before = load.acknowledged.size();
          awaitOrExplain(
              h,
              load,
              "key generations resume on the survivors",
              () -> load.acknowledged.size() >= before + 10);
          fault.heal(h);
          ClusterHarness.await(
              "the old primary learns it was removed",
              SETTLE,
              () -> h.member(0).output().contains("no longer a member of the cluster"));
          int healed = load.acknowledged.size();
          awaitOrExplain(
              h,
              load,
              "key generations after the heal",
              () -> load.acknowledged.size() >= healed + 10);
          load.close();
          acknowledged = new HashSet<>(load.acknowledged);
          outage.stop();
          System.out.printf(
              "acknowledged writes: %s: key generations acknowledged %d, failed %d, lost %s;"
                  + " longest time without an acknowledged write %d ms; signs %d, failed %d%n",
              name,
              acknowledged.size(),
              load.keygenFailures.get(),
              "(checked below)",
              outage.longestMillis(),
              load.signs.get(),
              load.signFailures.get());
        }
        // the removed member may hold entries that nobody acknowledged (appended while it was cut
        // off). As the guide says, it factory-resets its cluster service and joins again: it then
        // holds exactly what the survivors hold, so whatever it alone had is discarded, and none
        // of that was acknowledged (every acknowledged key is checked on the survivors below).
        ClusterHarness.State removed = h.state(0);
        ClusterHarness.State survivor = h.state(1);
        System.out.printf(
            "acknowledged writes: %s: the removed member held %s (digest %s the survivors' %s)"
                + " before its factory reset%n",
            name,
            removed.position(),
            removed.digest().equals(survivor.digest()) ? "equal to" : "unlike",
            survivor.position());
        ClusterHarness.ok(h.member(0), "service", "stop", "cluster");
        ClusterHarness.ok(
            h.member(0), "service", "factoryreset", "cluster", "-sopassword", ClusterHarness.SO);
        ClusterHarness.ok(h.member(0), "service", "start", "cluster");
        h.join(0, 1);
        ClusterHarness.State s = h.awaitConverged(SETTLE);
        assertEquals(3, h.liveStates().size(), "the old primary is back, as a new member");
        Set<String> present = new HashSet<>(Collections.list(load(provider).aliases()));
        Set<String> lost = new HashSet<>(acknowledged);
        lost.removeAll(present);
        System.out.printf(
            "acknowledged writes: %s: lost %d of %d; all three converged at %s%n",
            name, lost.size(), acknowledged.size(), s.position());
        assertEquals(Set.of(), lost, "acknowledged key generations lost");
        assertTrue(
            acknowledged.size() >= 30, "the application kept writing: " + acknowledged.size());
      } finally {
        provider.close();
      }
    }
  }

  /**
   * {@link ClusterHarness#await} for the load's progress; when it does not come, the failure says
   * what the load met, where its threads are, and what the members printed last.
   */
  private static void awaitOrExplain(
      ClusterHarness h, ProviderLoad load, String what, BooleanSupplier progress)
      throws InterruptedException {
    try {
      ClusterHarness.await(what, SETTLE, progress);
    } catch (IllegalStateException e) {
      StringBuilder b = new StringBuilder(e.getMessage());
      b.append("\nkey generations acknowledged ")
          .append(load.acknowledged.size())
          .append(", failed ")
          .append(load.keygenFailures.get())
          .append("; signs ")
          .append(load.signs.get())
          .append(", failed ")
          .append(load.signFailures.get())
          .append("\nfailures: ")
          .append(load.failureSummary())
          .append("\nthe application's threads:\n")
          .append(ProviderLoad.threads());
      for (int i = 0; i < 3; i++) {
        List<String> lines = h.member(i).output().lines().toList();
        b.append("\nmember ")
            .append(i)
            .append(", last lines:\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      }
      throw new AssertionError(b.toString(), e);
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
