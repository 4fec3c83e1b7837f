package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.ha.HaGroupChannel;
import dev.keyring.client.ha.HaGroups;
import dev.keyring.e2e.client.ConfiguredClusters;
import dev.keyring.protocol.Role;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cluster.ClusterHarness;
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
  private static final String INITIAL = HaGroupSetup.INITIAL;
  private static final String PW = HaGroupSetup.PW;
  private static final byte[] MSG = HaGroupSetup.MSG;

  @TempDir Path dir;

  @Test
  void wholeClusterKilled_signaturesMoveToTheOtherCluster_andItCatchesUpWhenBack()
      throws Exception {
    try (ClusterHarness a = ClusterHarness.startCluster(dir.resolve("A"), 2, 2);
        ClusterHarness b = ClusterHarness.startCluster(dir.resolve("B"), 1, 1)) {
      a.createKeyrings(0, "a", INITIAL, 1, 1);
      b.createKeyrings(0, "b", INITIAL, 1, 1);
      Path conf = a.registerClient(0, "ha-client", dir.resolve("client/Chrystoki.conf"));
      HaGroupSetup.registerWith(b, conf);
      ClientConfig cfg = ClientConfig.read(conf);
      assertEquals(2, cfg.clusters().size(), "one client registered with both clusters");
      HaGroupSetup.initialize(cfg, 0, "a1");
      HaGroupSetup.initialize(cfg, 1, "b1");

      // the group, as an operator makes it
      HaGroupSetup.makeGroup(conf, "web", "a1", "b1", "01");
      ClientConfig withGroup = ClientConfig.read(conf);

      KeyringProvider provider = new KeyringProvider(conf);
      try {
        KeyStore ks = HaGroupSetup.groupKeyStore(provider, "web");
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(KeyringKeyGenParameterSpec.builder().label("tls").curve("P-256").build());
        KeyPair kp = g.generateKeyPair();
        assertEquals(
            1, HaGroupSetup.objectsLabelled(cfg, 0, "a1", "tls"), "generated and cloned to a1");
        assertEquals(
            1, HaGroupSetup.objectsLabelled(cfg, 1, "b1", "tls"), "generated and cloned to b1");

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
          long handle = HaGroupSetup.privateKeyHandle(group, "tls");
          HaGroupSetup.sign(group, handle, 10);
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
          HaGroupSetup.sign(group, handle, 10);
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
        long recovered = HaGroupSetup.restartAndAwaitRecovery(a, cfg, "a1", "later");
        System.out.printf(
            "HA figures: a1 held the key generated while A was down %d ms after A's restart%n",
            recovered);
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
}
