package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.cli.KeyringCm;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.ha.HaGroupChannel;
import dev.keyring.client.ha.HaGroups;
import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.e2e.client.ConfiguredClusters;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cli.CliRun;
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
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HA group over keyring {@code a1} of cluster A (two member processes) and {@code b1} of cluster
 * B (one member process), one cloning domain, one client registered with both, the group made with
 * {@code keyringcm hagroup}. An application signs in a loop through the JCA provider with the key
 * on the group's virtual slot; every member of A is killed with SIGKILL: no signature fails and
 * they are all made on B. A key generated while A is down reaches {@code a1} once A is started
 * again and the group's auto-recovery has run.
 */
@Timeout(600)
class HaGroupFailoverTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PW = "keyring-password-2";
  private static final byte[] MSG = "signed by the group".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  @Test
  void wholeClusterKilled_signaturesMoveToTheOtherCluster_andItCatchesUpWhenBack()
      throws Exception {
    try (ClusterHarness a = ClusterHarness.startCluster(dir.resolve("A"), 2, 2);
        ClusterHarness b = ClusterHarness.startCluster(dir.resolve("B"), 1, 1)) {
      a.createKeyrings(0, "a", INITIAL, 1, 1);
      b.createKeyrings(0, "b", INITIAL, 1, 1);
      Path conf = a.registerClient(0, "ha-client", dir.resolve("client/Chrystoki.conf"));
      registerSecond(b, conf);
      ClientConfig cfg = ClientConfig.read(conf);
      assertEquals(2, cfg.clusters().size(), "one client registered with both clusters");
      initialize(cfg, 0, "a1");
      initialize(cfg, 1, "b1");

      // the group, as an operator makes it
      Map<String, String> env = Map.of("KEYRING_CONFIG", conf.toString());
      cm(env, "hagroup", "creategroup", "-label", "web", "-slot", "a1", "-password", PW);
      CliRun added =
          cm(
              env,
              "hagroup",
              "addmember",
              "-group",
              "web",
              "-slot",
              "b1",
              "--cluster",
              "01",
              "-password",
              PW);
      assertTrue(added.out().contains("successfully added"), added.toString());
      cm(env, "hagroup", "interval", "-seconds", "1");
      CliRun listed = cm(env, "hagroup", "listgroups", "-password", PW);
      assertTrue(listed.out().contains("Needs sync:      no"), listed.toString());
      assertEquals(2, count(listed.out(), " alive"), listed.toString());
      ClientConfig withGroup = ClientConfig.read(conf);
      assertEquals(
          2, withGroup.haGroup("web").orElseThrow().memberSerials().size(), "written by keyringcm");

      KeyringProvider provider = new KeyringProvider(conf);
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", provider);
        ks.load(
            new ByteArrayInputStream("slot=web\n".getBytes(StandardCharsets.UTF_8)),
            PW.toCharArray());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(KeyringKeyGenParameterSpec.builder().label("tls").curve("P-256").build());
        KeyPair kp = g.generateKeyPair();
        assertEquals(1, objectsLabelled(cfg, 0, "a1", "tls"), "generated and cloned to a1");
        assertEquals(1, objectsLabelled(cfg, 1, "b1", "tls"), "generated and cloned to b1");

        // the application signs in a loop
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger signed = new AtomicInteger();
        List<Throwable> failures = new ArrayList<>();
        Thread loop =
            new Thread(
                () -> {
                  while (!stop.get()) {
                    try {
                      if (!signsAndVerifies(provider, kp)) {
                        throw new AssertionError("a signature did not verify");
                      }
                      signed.incrementAndGet();
                    } catch (Throwable t) {
                      synchronized (failures) {
                        failures.add(t);
                      }
                    }
                  }
                },
                "ha-signing-loop");
        loop.start();
        ClusterHarness.await(
            "signatures before the kill", Duration.ofSeconds(60), () -> signed.get() >= 20);

        // counters of a second virtual slot on the same group: both members serve
        try (ConfiguredClusters clients = new ConfiguredClusters(cfg);
            HaGroupChannel group =
                HaGroups.open(withGroup, withGroup.haGroup("web").orElseThrow(), clients)) {
          group.login(Role.KRCO, PW);
          List<dev.keyring.client.api.KeyringObject> found =
              group.findObjects(Attributes.builder().label("tls").build());
          long handle =
              found.stream()
                  .filter(o -> o.objectClass() == dev.keyring.protocol.ObjectClass.PRIVATE_KEY)
                  .findFirst()
                  .orElseThrow(() -> new AssertionError("no private key 'tls': " + found))
                  .handle();
          for (int i = 0; i < 10; i++) {
            group.sign(
                handle,
                dev.keyring.protocol.Mechanism.CKM_ECDSA_SHA256,
                dev.keyring.protocol.MechanismParams.NONE,
                MSG);
          }
          Map<String, Long> before = group.operationsByMember();
          assertTrue(
              before.values().stream().allMatch(n -> n >= 3),
              "both members serve while both are alive: " + before);

          int beforeKill = signed.get();
          a.member(0).kill();
          a.member(1).kill();
          ClusterHarness.await(
              "signatures after the kill",
              Duration.ofSeconds(120),
              () -> signed.get() >= beforeKill + 50);
          synchronized (failures) {
            assertEquals(List.of(), failures, "no signature failed while cluster A died");
          }
          String serialA = group.group().memberSerials().get(0);
          String serialB = group.group().memberSerials().get(1);
          for (int i = 0; i < 10; i++) {
            group.sign(
                handle,
                dev.keyring.protocol.Mechanism.CKM_ECDSA_SHA256,
                dev.keyring.protocol.MechanismParams.NONE,
                MSG);
          }
          Map<String, Long> after = group.operationsByMember();
          assertTrue(
              group.memberStatus().get(serialA).startsWith("down"),
              group.memberStatus().toString());
          assertEquals(
              before.get(serialA),
              after.get(serialA),
              "no operation on A once it is dead: " + before + " → " + after);
          assertTrue(after.get(serialB) >= before.get(serialB) + 10, before + " → " + after);
          System.out.printf(
              "HA figures: %d provider signatures before the kill, %d after it; failures %d;"
                  + " operations by member (second virtual slot) %s before, %s after%n",
              beforeKill, signed.get() - beforeKill, failures.size(), before, after);
        }

        // a key generated while A is down is made on B only, then reaches a1 when A is back
        g.initialize(KeyringKeyGenParameterSpec.builder().label("later").curve("P-256").build());
        KeyPair later = g.generateKeyPair();
        assertTrue(signsAndVerifies(provider, later));
        a.member(0).restart();
        a.member(1).restart();
        long restarted = System.nanoTime();
        // every member of A failed: the first back is authorized by the operator (as the guide
        // says), the other takes its authorization from it; until then A takes no new object
        assertFalse(a.authorized(0), "the first member back after every member of A failed");
        a.authorize(0);
        ClusterHarness.await(
            "a's second member takes its authorization from the first",
            Duration.ofSeconds(60),
            () -> a.authorized(1));
        ClusterHarness.await(
            "auto-recovery gives a1 the key generated while A was down",
            Duration.ofSeconds(180),
            () -> objectsLabelledQuietly(cfg, 0, "a1", "later") == 1);
        System.out.printf(
            "HA figures: a1 held the key generated while A was down %d ms after A's restart%n",
            (System.nanoTime() - restarted) / 1_000_000);
        stop.set(true);
        loop.join();
        System.out.printf(
            "HA figures: %d provider signatures in all, %d failed%n",
            signed.get(), failures.size());
        synchronized (failures) {
          assertEquals(List.of(), failures, "no signature failed at all");
        }
        assertTrue(signsAndVerifies(provider, later));
      } finally {
        provider.close();
      }
    }
  }

  private static boolean signsAndVerifies(KeyringProvider provider, KeyPair kp) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA", provider);
    s.initSign(kp.getPrivate());
    s.update(MSG);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(kp.getPublic());
    v.update(MSG);
    return v.verify(sig);
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static CliRun cm(Map<String, String> env, String... args) {
    CliRun r = CliRun.run(KeyringCm::run, env, args);
    assertEquals(0, r.exit(), r.toString());
    return r;
  }

  /** Registers the same client with cluster B, at the next free position of its file. */
  private static void registerSecond(ClusterHarness b, Path conf) {
    CliRun r =
        CliRun.run(
            RegisterCommand::run,
            Map.of(RegisterCommand.PASSWORD_ENV, ClusterHarness.ADMIN_PW),
            "-n",
            "ha-client",
            "-i",
            "127.0.0.1:" + b.member(0).adminPort(),
            "-c",
            b.clusterId(),
            "--config",
            conf.toString(),
            "--admin-fingerprint",
            b.member(0).fingerprint(),
            "-m");
    assertEquals(RegisterCommand.OK, r.exit(), r.toString());
  }

  private static void initialize(ClientConfig cfg, int cluster, String keyring) throws Exception {
    try (KeyringClient c = KeyringClient.open(cfg, cluster);
        KeyringChannel s = c.openSession(keyring)) {
      KeyringSetup.initialize(s, INITIAL, PW);
    }
  }

  private static int objectsLabelled(ClientConfig cfg, int cluster, String keyring, String label)
      throws Exception {
    try (KeyringClient c = KeyringClient.open(cfg, cluster);
        KeyringChannel s = c.openSession(keyring)) {
      s.login(Role.KRCO, PW);
      int n = 0;
      for (CloningMessages.ClonableObject o : s.clonableObjects()) {
        if (o.label().equals(label) && o.objectClass().equals("PRIVATE_KEY")) {
          n++;
        }
      }
      return n;
    }
  }

  private static int objectsLabelledQuietly(
      ClientConfig cfg, int cluster, String keyring, String label) {
    try {
      return objectsLabelled(cfg, cluster, keyring, label);
    } catch (Exception e) {
      return -1;
    }
  }
}
