package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import dev.keyring.testing.packages.SignedPackages;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The administration guide's procedure for updating a multi-member cluster, with member processes
 * and an application signing and generating keys through the provider on 8 threads throughout: for
 * each non-primary member in turn, stop and disable its cluster service, upload and install the
 * next cluster service package, restart the member, enable the service and wait until it caught up;
 * then promote an updated member and update the old primary the same way. No signature fails; key
 * generations fail only while a member's service is down or the primary changes (counted per step);
 * every acknowledged key is on every member afterwards, and every member shows the new version.
 *
 * <p>Tagged {@code long}: it runs with {@code -Dkeyring.long=true} (about 75 s); CI runs the update
 * procedure on one member ({@code SingleMemberUpdateTest}) and the version flags of the member list
 * ({@code MemberListFlagsTest}).
 */
@Timeout(600)
@Tag("long")
class RollingUpdateTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final Duration SETTLE = Duration.ofSeconds(60);
  static final String N_FACTORY = SignedPackages.FACTORY_VERSION;
  private static final String N = N_FACTORY;
  private static final String N1 = "104-00002";
  private static final int THREADS = 8;
  private static final java.util.List<String> KEYRINGS = java.util.List.of("app1", "app2", "app3");
  private static final long PACE_MS = 500;
  private static final int MAX_KEYGENS = 120; // per keyring, 2 objects each: within its 256

  @Test
  void threeMembers_updatedOneAtATime_underLoad(@TempDir Path dir) throws Exception {
    long started = System.nanoTime();
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, KEYRINGS.size(), 1);
      Path conf = h.registerClient(1, "update-client", dir.resolve("client/Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
        for (String keyring : KEYRINGS) {
          try (KeyringChannel s = client.openSession(keyring)) {
            KeyringSetup.initialize(s, INITIAL, PASSWORD);
          }
        }
      }
      h.awaitConverged(SETTLE);
      for (int i = 0; i < 3; i++) {
        assertVersions(h, i, N);
      }
      KeyringProvider provider = new KeyringProvider(conf);
      Map<String, Long> refusedBySteps = new LinkedHashMap<>();
      try {
        for (String keyring : KEYRINGS) {
          load(provider, keyring).size(); // logs in
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(
            KeyringKeyGenParameterSpec.builder()
                .label("signing")
                .keyring("app1")
                .curve("P-256")
                .build());
        KeyPair signing = g.generateKeyPair();
        Set<String> acknowledged;
        try (PacedKeyLoad load =
            new PacedKeyLoad(provider, signing, KEYRINGS, THREADS, PACE_MS, MAX_KEYGENS)) {
          ClusterHarness.await(
              "key generations before the update", SETTLE, () -> load.acknowledged.size() >= 10);
          Steps steps = new Steps(load, refusedBySteps);
          // member 0 created the cluster: it is the primary; update 1, then 2
          steps.steady("before the update");
          for (int i : new int[] {1, 2}) {
            updateMember(h, i);
            steps.step("update of non-primary member " + i);
            awaitWrites(load);
            steps.steady("after the update of member " + i);
          }
          String target = h.localMemberId(1);
          ClusterHarness.ok(
              h.member(0), "cluster", "member", "config", "-memberid", target, "-primary");
          ClusterHarness.await(
              "member 1 is the primary",
              SETTLE,
              () -> h.memberList(0).lines().anyMatch(l -> l.startsWith("P") && l.contains(target)));
          steps.step("promotion of member 1");
          awaitWrites(load);
          steps.steady("after the promotion");
          updateMember(h, 0);
          steps.step("update of the old primary, member 0");
          awaitWrites(load);
          steps.steady("after the update of member 0");
          load.close();
          acknowledged = new HashSet<>(load.acknowledged);
          System.out.printf(
              "rolling update: signs %d, failed %d; key generations acknowledged %d, refused %d"
                  + " (by step: %s); failures: %s%n",
              load.signs.get(),
              load.signFailures.get(),
              acknowledged.size(),
              load.keygenFailures.get(),
              refusedBySteps,
              load.failureSummary());
          assertEquals(0, load.signFailures.get(), () -> "failed signs: " + load.failureSummary());
          for (Map.Entry<String, Long> e : refusedBySteps.entrySet()) {
            if (e.getKey().startsWith("steady")) {
              assertEquals(
                  0L,
                  e.getValue(),
                  () -> "key generations refused outside the procedure's steps: " + e);
            }
          }
        }
        ClusterHarness.State s = h.awaitConverged(SETTLE);
        Set<String> present = new HashSet<>();
        for (String keyring : KEYRINGS) {
          for (String alias : Collections.list(load(provider, keyring).aliases())) {
            present.add(keyring + "/" + alias);
          }
        }
        Set<String> lost = new HashSet<>(acknowledged);
        lost.removeAll(present);
        System.out.printf(
            "rolling update: lost %d of %d acknowledged key generations; all three converged at"
                + " %s (digest %s); %d s in all%n",
            lost.size(),
            acknowledged.size(),
            s.position(),
            s.digest(),
            (System.nanoTime() - started) / 1_000_000_000L);
        assertEquals(Set.of(), lost, "acknowledged key generations lost");
        assertTrue(acknowledged.size() >= 30, "the application kept writing: " + acknowledged);
        for (int i = 0; i < 3; i++) {
          assertVersions(h, i, N1);
          assertTrue(h.authorized(i), "member " + i + " authorized after its update");
          assertTrue(
              h.member(i)
                  .sim("package", "list")
                  .out()
                  .contains("cluster_service-104-00002.x86_64"));
        }
        System.out.println(h.memberList(1));
      } finally {
        provider.close();
      }
    }
  }

  /**
   * Step 2 of the guide on member {@code i}: stop and disable the cluster service, upload and
   * install the package, restart, enable, and wait until it is authorized and caught up.
   */
  static void updateMember(ClusterHarness h, int i) throws Exception {
    MemberProcess m = h.member(i);
    ClusterHarness.ok(m, "service", "stop", "cluster");
    action(m, "disable");
    upload(m, N1);
    ClusterHarness.ok(m, "package", "upgrade");
    assertTrue(
        m.sim("package", "list").out().contains("pending restart"), "pending until the restart");
    m.close(); // the appliance restarts (SIGTERM: a clean stop)
    m.restart();
    action(m, "enable");
    ClusterHarness.await("member " + i + " authorized again", SETTLE, () -> h.authorized(i));
    h.awaitConverged(SETTLE);
  }

  static void upload(MemberProcess m, String version) {
    m.rest()
        .call("POST", "/api/lunasa/packageFiles")
        .as("admin", ClusterHarness.ADMIN_PW)
        .raw(SignedPackages.clusterService(version), false)
        .send()
        .expect(200);
  }

  static void action(MemberProcess m, String action) {
    var r =
        m.rest()
            .send(
                "POST",
                "/api/lunasa/services/cluster/actions/" + action,
                "admin",
                ClusterHarness.ADMIN_PW,
                null);
    if (r.status() != 200) {
      String out = m.output();
      throw new AssertionError(
          action + ": " + r.body() + "\n" + out.substring(Math.max(0, out.length() - 6000)));
    }
  }

  /** Every member that member {@code i} lists shows {@code version}. */
  static void assertVersions(ClusterHarness h, int i, String version) throws Exception {
    ClusterHarness.await(
        "member " + i + " lists every member at " + version,
        SETTLE,
        () -> {
          JsonNode list = h.members(i);
          boolean all = list.size() == 3;
          for (JsonNode m : list) {
            all &= version.equals(m.path("version").asText());
          }
          return all;
        });
  }

  private static void awaitWrites(PacedKeyLoad load) throws InterruptedException {
    int before = load.acknowledged.size();
    long failed = load.keygenFailures.get();
    if (load.exhausted()) {
      return; // every keyring holds its share: no more key generations to wait for
    }
    try {
      ClusterHarness.await(
          "key generations go on", SETTLE, () -> load.acknowledged.size() >= before + 3);
    } catch (IllegalStateException e) {
      throw new AssertionError(
          "no key generation acknowledged within "
              + SETTLE
              + " (acknowledged "
              + before
              + ", refused since "
              + (load.keygenFailures.get() - failed)
              + "): "
              + load.failureSummary(),
          e);
    }
  }

  /** Key generations refused in each step of the procedure, and in the steady times between. */
  private static final class Steps {
    private final PacedKeyLoad load;
    private final Map<String, Long> out;
    private long mark;
    private long since = System.nanoTime();

    Steps(PacedKeyLoad load, Map<String, Long> out) {
      this.load = load;
      this.out = out;
      this.mark = load.keygenFailures.get();
    }

    void step(String name) {
      long now = load.keygenFailures.get();
      long t = System.nanoTime();
      out.put(name + " (" + (t - since) / 1_000_000 + " ms)", now - mark);
      mark = now;
      since = t;
    }

    void steady(String name) throws InterruptedException {
      Thread.sleep(1_000);
      step("steady " + name);
    }
  }

  static KeyStore load(KeyringProvider provider, String keyring) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        new ByteArrayInputStream(("slot=" + keyring + "\n").getBytes(StandardCharsets.UTF_8)),
        PASSWORD.toCharArray());
    return ks;
  }
}
