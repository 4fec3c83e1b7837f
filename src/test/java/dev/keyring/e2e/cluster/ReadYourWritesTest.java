package dev.keyring.e2e.cluster;

import static dev.keyring.testing.cluster.ClusterHarness.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-your-writes with real members: three members as their own JVMs; member 1 is alone in its
 * affinity group, so an application registered with it reads there, and it is cut from the primary
 * (its link to member 0 blackholed) so that it stops applying the log while it still answers reads.
 * The application's key generation is seen at once, its delete deletes, and so does its delete of
 * another application's key: the member behind refuses, the primary answers.
 */
@Timeout(600)
class ReadYourWritesTest {
  private static final Duration SETTLE = Duration.ofSeconds(30);
  private static final String KEYRING_INITIAL = "keyring-initial-1";
  private static final String KEYRING_PW = "keyring-password-2";

  @Test
  void readsThroughAMemberBehind_seeTheApplicationsWrites_andDeletesAreDecidedOnThePrimary(
      @TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", KEYRING_INITIAL, 1, 100);
      String lagger = h.localMemberId(1);
      ok(h.member(0), "cluster", "member", "config", "-memberid", lagger, "-group", "west");
      Path readerConf = h.registerClient(1, "reader", dir.resolve("reader").resolve("k.conf"));
      Path otherConf = h.registerClient(0, "other", dir.resolve("other").resolve("k.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(otherConf), 0);
          KeyringChannel s = client.openSession("app100")) {
        KeyringSetup.initialize(s, KEYRING_INITIAL, KEYRING_PW);
      }
      h.awaitConverged(SETTLE);

      KeyringProvider reader = new KeyringProvider(readerConf);
      KeyringProvider other = new KeyringProvider(otherConf);
      try {
        KeyStore readerKs = load(reader);
        KeyStore otherKs = load(other);
        long served = h.state(1).cryptoRequests();
        assertFalse(readerKs.containsAlias("fresh"));
        assertTrue(h.state(1).cryptoRequests() > served, "the reader reads through member 1");

        // member 1 stops hearing from the primary: it applies nothing more, but answers reads
        h.link(1, 0).blackhole();
        ClusterHarness.await(
            "member 1 read-only", SETTLE, () -> "Read-Only".equals(h.state(1).mode()));

        // 1. the reader's own key generation, read at once through member 1
        generate(reader, "fresh");
        assertTrue(behind(h, 1, 0), "member 1 does not hold the key generation");
        served = h.state(1).cryptoRequests();
        assertTrue(readerKs.containsAlias("fresh"), "the reader sees its own key");
        assertTrue(readerKs.isKeyEntry("fresh"));
        assertTrue(h.state(1).cryptoRequests() > served, "member 1 was asked, and refused");

        // 2. its delete deletes
        readerKs.deleteEntry("fresh");
        assertFalse(readerKs.containsAlias("fresh"));
        assertFalse(otherKs.containsAlias("fresh"), "gone from the cluster");

        // 3. another application's key, which member 1 never received, deleted by the reader
        generate(other, "theirs");
        assertTrue(otherKs.containsAlias("theirs"));
        assertTrue(behind(h, 1, 0));
        readerKs.deleteEntry("theirs");
        assertFalse(otherKs.containsAlias("theirs"), "the reader's delete found it on the primary");

        // healed, member 1 catches up and serves the reader again
        h.healAll();
        ClusterHarness.State converged = h.awaitConverged(SETTLE);
        assertEquals(converged.position(), h.state(1).position());
        served = h.state(1).cryptoRequests();
        assertFalse(readerKs.containsAlias("theirs"));
        assertFalse(readerKs.containsAlias("fresh"));
        assertTrue(h.state(1).cryptoRequests() > served);
      } finally {
        reader.close();
        other.close();
      }
    }
  }

  /** Whether member {@code i} holds less of the log than member {@code j}. */
  private static boolean behind(ClusterHarness h, int i, int j) {
    return sequence(h.state(i)) < sequence(h.state(j));
  }

  private static long sequence(ClusterHarness.State s) {
    return Long.parseLong(s.position().substring(s.position().indexOf(':') + 1));
  }

  private static void generate(KeyringProvider provider, String label) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
    g.initialize(
        KeyringKeyGenParameterSpec.builder().label(label).keyring("app100").curve("P-256").build());
    g.generateKeyPair();
  }

  private static KeyStore load(KeyringProvider provider) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        new ByteArrayInputStream("slot=app100\n".getBytes(StandardCharsets.UTF_8)),
        KEYRING_PW.toCharArray());
    return ks;
  }
}
