package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.ha.HaGroupChannel;
import dev.keyring.client.ha.HaGroups;
import dev.keyring.e2e.client.ConfiguredClusters;
import dev.keyring.e2e.tls.KeyringHttpsServer;
import dev.keyring.protocol.Role;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringAliasKeyManager;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.ServerCertificates;
import dev.keyring.testing.cluster.ClusterHarness;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.HttpsURLConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HTTPS server (the JDK's, in this JVM) whose TLS private key is on an HA group's virtual slot,
 * through {@link KeyringAliasKeyManager} and the Keyring KeyStore. Clusters A (two member
 * processes), B and C (one each), one cloning domain, one client registered with all three; the
 * group is made over {@code a1} (A) and {@code b1} (B) with {@code keyringcm}. A client makes
 * requests in a loop, each on a new connection with a new TLS context, so that each makes the
 * server sign. Every member of A is killed with SIGKILL, between two requests (so that every
 * signature after the kill is B's); a key is generated while A is down; A is restarted and
 * auto-recovery gives {@code a1} that key; then {@code b1} is replaced by {@code c1} with {@code
 * hagroup addmember} and {@code removemember} while the server keeps serving. No request fails
 * after one retry.
 */
@Timeout(900)
class HaGroupTlsServerTest {
  private static final String PW = HaGroupSetup.PW;
  private static final String BODY = "served from the group\n";

  @TempDir Path dir;

  /** The client's loop: requests made, those that failed once, those that failed twice. */
  private final AtomicInteger requests = new AtomicInteger();

  private final AtomicInteger firstTryFailures = new AtomicInteger();
  private final List<Throwable> failures = new ArrayList<>();

  /** Held by each request (with its retry); the test takes it to read counters between two. */
  private final ReentrantLock turn = new ReentrantLock(true);

  @Test
  void tlsServerOnAGroup_survivesAClusterKill_andAMemberReplacement_withNoFailedRequest()
      throws Exception {
    try (ClusterHarness a = ClusterHarness.startCluster(dir.resolve("A"), 2, 2);
        ClusterHarness b = ClusterHarness.startCluster(dir.resolve("B"), 1, 1);
        ClusterHarness c = ClusterHarness.startCluster(dir.resolve("C"), 1, 1)) {
      a.createKeyrings(0, "a", HaGroupSetup.INITIAL, 1, 1);
      b.createKeyrings(0, "b", HaGroupSetup.INITIAL, 1, 1);
      c.createKeyrings(0, "c", HaGroupSetup.INITIAL, 1, 1);
      Path conf = a.registerClient(0, "ha-client", dir.resolve("client/Chrystoki.conf"));
      HaGroupSetup.registerWith(b, conf);
      HaGroupSetup.registerWith(c, conf);
      ClientConfig cfg = ClientConfig.read(conf);
      assertEquals(3, cfg.clusters().size(), "one client registered with all three clusters");
      HaGroupSetup.initialize(cfg, 0, "a1");
      HaGroupSetup.initialize(cfg, 1, "b1");
      HaGroupSetup.initialize(cfg, 2, "c1");
      HaGroupSetup.makeGroup(conf, "web", "a1", "b1", "01");
      Path haLogDir = dir.resolve("halog");
      HaGroupSetup.cm(
          HaGroupSetup.env(conf), "hagroup", "halog", "-enable", "-path", haLogDir.toString());
      ClientConfig withGroup = ClientConfig.read(conf);
      String serialA = withGroup.haGroup("web").orElseThrow().memberSerials().get(0);
      String serialB = withGroup.haGroup("web").orElseThrow().memberSerials().get(1);

      KeyringProvider provider = new KeyringProvider(conf);
      // JSSE finds the keyring's Signature by delayed selection: the provider is registered
      assertNull(Security.getProvider(KeyringProvider.NAME), "a Keyring provider is registered");
      Security.addProvider(provider);
      try {
        KeyStore ks = HaGroupSetup.groupKeyStore(provider, "web");
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(KeyringKeyGenParameterSpec.builder().label("tls").curve("P-256").build());
        KeyPair kp = g.generateKeyPair();
        X509Certificate cert = ServerCertificates.selfSignedForLocalhost(kp, provider);
        ks.setKeyEntry("tls", kp.getPrivate(), PW.toCharArray(), new Certificate[] {cert});
        assertEquals(1, HaGroupSetup.objectsLabelled(cfg, 1, "b1", "tls"), "cloned to b1");

        try (KeyringHttpsServer server =
            KeyringHttpsServer.start(
                KeyringAliasKeyManager.sslContext(ks, PW.toCharArray(), "tls"), BODY)) {
          AtomicBoolean stop = new AtomicBoolean();
          Thread loop = new Thread(() -> requestLoop(server.port(), cert, stop), "https-loop");
          loop.start();
          ClusterHarness.await(
              "requests before the kill", Duration.ofSeconds(60), () -> requests.get() >= 20);

          // 1. every member of A killed: the counters of a second virtual slot on the group
          Map<String, Long> before;
          Map<String, Long> afterKill;
          int beforeKill;
          long signsOnB;
          long providerSignsKill;
          try (ConfiguredClusters clients = new ConfiguredClusters(cfg);
              HaGroupChannel second =
                  HaGroups.open(withGroup, withGroup.haGroup("web").orElseThrow(), clients)) {
            second.login(Role.KRCO, PW);
            long handle = HaGroupSetup.privateKeyHandle(second, "tls");
            HaGroupSetup.sign(second, handle, 10);
            before = second.operationsByMember();
            assertTrue(before.values().stream().allMatch(n -> n >= 3), "both serve: " + before);
            // no request under way while the counters are read and A's members are killed: with
            // A's second member still up after the first one's kill, requests went on to it
            turn.lock();
            try {
              beforeKill = requests.get();
              providerSignsKill = provider.operationCount(ProviderOperation.SIGN);
              signsOnB = HaGroupSetup.signsServed(b, 1);
              a.member(0).kill();
              a.member(1).kill();
            } finally {
              turn.unlock();
            }
            ClusterHarness.await(
                "requests after the kill",
                Duration.ofSeconds(120),
                () -> requests.get() >= beforeKill + 30);
            assertNoFailure("while cluster A died");
            HaGroupSetup.sign(second, handle, 10);
            afterKill = second.operationsByMember();
            assertTrue(second.memberStatus().get(serialA).startsWith("down"), "" + afterKill);
            assertEquals(before.get(serialA), afterKill.get(serialA), "nothing on A once dead");
            assertTrue(
                afterKill.get(serialB) >= before.get(serialB) + 10, before + " → " + afterKill);
          }
          turn.lock();
          try {
            // less the second slot's 10 signatures after the kill
            signsOnB = HaGroupSetup.signsServed(b, 1) - signsOnB - 10;
            providerSignsKill = provider.operationCount(ProviderOperation.SIGN) - providerSignsKill;
          } finally {
            turn.unlock();
          }
          assertTrue(
              signsOnB >= providerSignsKill,
              "B made every signature of the server after the kill: "
                  + signsOnB
                  + " of "
                  + providerSignsKill);

          // 2. a key generated through the group while A is down; A back; auto-recovery
          g.initialize(KeyringKeyGenParameterSpec.builder().label("later").curve("P-256").build());
          g.generateKeyPair();
          long recoveryMs = HaGroupSetup.restartAndAwaitRecovery(a, cfg, "a1", "later");
          int afterRecovery = requests.get();

          // 3. the seed's replacement of a member, while the server serves
          Map<String, String> env = HaGroupSetup.env(conf);
          long adding = System.nanoTime();
          HaGroupSetup.cm(
              env,
              "hagroup",
              "addmember",
              "-group",
              "web",
              "-slot",
              "c1",
              "--cluster",
              "02",
              "-password",
              PW);
          long addMs = (System.nanoTime() - adding) / 1_000_000;
          String serialC =
              ClientConfig.read(conf).haGroup("web").orElseThrow().memberSerials().get(2);
          HaGroupSetup.cm(
              env,
              "hagroup",
              "removemember",
              "-group",
              "web",
              "-serialnumber",
              serialB,
              "-password",
              PW);
          long replacing = System.nanoTime();
          ClientConfig replaced = ClientConfig.read(conf);
          assertEquals(
              List.of(serialA, serialC), replaced.haGroup("web").orElseThrow().memberSerials());
          Path haLog = haLogDir.resolve("haErrorLog.txt");
          ClusterHarness.await(
              "the server's group took c1 in and let b1 go",
              Duration.ofSeconds(60),
              () -> {
                String text = readQuietly(haLog);
                return text.contains(serialC + " (c1) on cluster 02 added from the configuration")
                    && text.contains(serialB + " (b1) on cluster 01 removed");
              });
          long replacedMs = (System.nanoTime() - replacing) / 1_000_000;
          String logged = readQuietly(haLog);
          assertTrue(logged.contains("objects cloned to it before it entered rotation"), logged);
          logged
              .lines()
              .filter(l -> l.contains("from the configuration file"))
              .forEach(l -> System.out.println("HA TLS log: " + l));
          assertEquals(
              HaGroupSetup.groupObjectIds(cfg, 0, "a1"),
              HaGroupSetup.groupObjectIds(cfg, 2, "c1"),
              "c1 holds every object of the group");
          assertEquals(1, HaGroupSetup.objectsLabelled(cfg, 2, "c1", "tls"));
          assertEquals(1, HaGroupSetup.objectsLabelled(cfg, 2, "c1", "later"));

          // the server's signatures now: on A and C only (the members' own counters)
          int afterReplace;
          long providerSigns;
          long[] served;
          turn.lock();
          try {
            afterReplace = requests.get();
            providerSigns = provider.operationCount(ProviderOperation.SIGN);
            served =
                new long[] {
                  HaGroupSetup.signsServed(a, 2),
                  HaGroupSetup.signsServed(b, 1),
                  HaGroupSetup.signsServed(c, 1)
                };
          } finally {
            turn.unlock();
          }
          ClusterHarness.await(
              "requests after the replacement",
              Duration.ofSeconds(120),
              () -> requests.get() >= afterReplace + 30);
          long[] window;
          turn.lock();
          try {
            window =
                new long[] {
                  HaGroupSetup.signsServed(a, 2) - served[0],
                  HaGroupSetup.signsServed(b, 1) - served[1],
                  HaGroupSetup.signsServed(c, 1) - served[2]
                };
            providerSigns = provider.operationCount(ProviderOperation.SIGN) - providerSigns;
          } finally {
            turn.unlock();
          }
          assertEquals(0, window[1], "no signature on b1 once it left the group");
          assertTrue(window[0] > 0 && window[2] > 0, "A and C sign: " + Arrays.toString(window));
          assertTrue(
              window[0] + window[2] >= providerSigns,
              "every one of the provider's "
                  + providerSigns
                  + " signatures was made on A or C: "
                  + Arrays.toString(window));
          Map<String, Long> afterC;
          try (ConfiguredClusters clients = new ConfiguredClusters(replaced);
              HaGroupChannel second =
                  HaGroups.open(replaced, replaced.haGroup("web").orElseThrow(), clients)) {
            second.login(Role.KRCO, PW);
            HaGroupSetup.sign(second, HaGroupSetup.privateKeyHandle(second, "later"), 10);
            afterC = second.operationsByMember();
            assertEquals(Set.of(serialA, serialC), afterC.keySet());
            assertTrue(afterC.values().stream().allMatch(n -> n >= 3), "A and C: " + afterC);
          }

          stop.set(true);
          loop.join();
          assertNoFailure("at all");
          System.out.printf(
              "HA TLS figures: %d requests (%d before the kill, %d by A's recovery, %d by the"
                  + " replacement), %d failed once and passed on retry, %d failed; provider"
                  + " signatures %d; after the kill B made %d of the server's %d signatures; a1"
                  + " held the key made while A was down %d ms after A's restart; addmember took"
                  + " %d ms, and the server's group had c1 in rotation and b1 out %d ms after"
                  + " removemember returned; after the replacement, for %d provider signatures,"
                  + " the members counted A %d, B %d, C %d; operations by member (second"
                  + " virtual slot): %s before the kill, %s after it, %s after the replacement%n",
              requests.get(),
              beforeKill,
              afterRecovery,
              afterReplace,
              firstTryFailures.get(),
              failures.size(),
              provider.operationCount(ProviderOperation.SIGN),
              signsOnB,
              providerSignsKill,
              recoveryMs,
              addMs,
              replacedMs,
              providerSigns,
              window[0],
              window[1],
              window[2],
              before,
              afterKill,
              afterC);
        }
      } finally {
        Security.removeProvider(KeyringProvider.NAME);
        provider.close();
      }
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }

  private void assertNoFailure(String when) {
    synchronized (failures) {
      assertEquals(List.of(), failures, "no request failed after its retry " + when);
    }
  }

  /** Requests until stopped, each holding {@link #turn}. */
  private void requestLoop(int port, X509Certificate cert, AtomicBoolean stop) {
    while (!stop.get()) {
      turn.lock();
      try {
        requestWithRetry(port, cert);
      } finally {
        turn.unlock();
      }
    }
  }

  /** One request; one that fails is retried once, then counted as failed. */
  private void requestWithRetry(int port, X509Certificate cert) {
    try {
      request(port, cert);
    } catch (Exception first) {
      firstTryFailures.incrementAndGet();
      try {
        request(port, cert);
      } catch (Exception second) {
        second.addSuppressed(first);
        synchronized (failures) {
          failures.add(second);
        }
        return;
      }
    }
    requests.incrementAndGet();
  }

  /**
   * One request on a new connection and a new TLS context: a full handshake, signed by the group.
   */
  private static void request(int port, X509Certificate cert) throws Exception {
    HttpsURLConnection conn =
        (HttpsURLConnection) new URL("https://localhost:" + port + "/").openConnection();
    conn.setSSLSocketFactory(ServerCertificates.trusting(cert).getSocketFactory());
    conn.setRequestProperty("Connection", "close");
    conn.setConnectTimeout(30_000);
    conn.setReadTimeout(60_000);
    try (InputStream in = conn.getInputStream()) {
      String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (conn.getResponseCode() != 200 || !body.equals(BODY)) {
        throw new IllegalStateException(conn.getResponseCode() + " " + body);
      }
    } finally {
      conn.disconnect();
    }
  }
}
