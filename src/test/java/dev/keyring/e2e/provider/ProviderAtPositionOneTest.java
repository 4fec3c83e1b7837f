package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Security;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider first in the JVM's list, as {@code security.provider.1=Keyring ...} or Kafka's
 * {@code security.providers} put it, before it has made its first connection.
 */
class ProviderAtPositionOneTest {
  private static final String KEYRING = "first";
  private static final String PASSWORD = "first-password-1";
  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static KeyStore ks;

  @BeforeAll
  static void start() throws Exception {
    assertNull(Security.getProvider(KeyringProvider.NAME), "a Keyring provider left installed");
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(KEYRING, PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
    assertEquals(1, Security.insertProviderAt(provider, 1));
    // the provider's first connection builds its TLS context with the provider first
    ks = KeyStore.getInstance("Keyring");
    ks.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
  }

  @AfterAll
  static void stop() {
    try {
      Security.removeProvider(KeyringProvider.NAME);
      if (provider != null) {
        provider.close();
      }
      if (cluster != null) {
        assertEquals(0, cluster.cluster().member(0).openSessions(), "sessions left open");
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  void keyStoreLoad_withTheProviderFirst_logsIn() {
    assertEquals(KeyringProvider.NAME, ks.getProvider().getName());
    assertTrue(cluster.cluster().member(0).openSessions() > 0);
  }

  @Test
  void newSecureRandom_staysWithTheJdk_andTheHsmGeneratorIsFoundByName() {
    long before = provider.operationCount(ProviderOperation.RANDOM);
    SecureRandom byDefault = new SecureRandom();
    assertNotEquals(KeyringProvider.NAME, byDefault.getProvider().getName());
    byDefault.nextBytes(new byte[64]);
    assertEquals(before, provider.operationCount(ProviderOperation.RANDOM));

    SecureRandom hsm = assertDoesNotThrowGet("HSM");
    assertEquals(KeyringProvider.NAME, hsm.getProvider().getName());
    hsm.nextBytes(new byte[32]);
    assertEquals(before + 1, provider.operationCount(ProviderOperation.RANDOM));
  }

  @Test
  void macBoundBeforeInit_takesASoftwareKey_andComputesItOffTheCluster() throws Exception {
    long before = provider.operationCount(ProviderOperation.MAC);
    byte[] data = "transcript".getBytes(StandardCharsets.UTF_8);
    SecretKeySpec salt = new SecretKeySpec(new byte[32], "HKDF-Salt");
    // as JSSE's HKDF does: the length first binds the first provider's Mac, then a software key
    Mac early = Mac.getInstance("HmacSHA256");
    assertEquals(32, early.getMacLength());
    early.init(salt);
    Mac jdk = Mac.getInstance("HmacSHA256", "SunJCE");
    jdk.init(salt);
    assertArrayEquals(jdk.doFinal(data), early.doFinal(data));
    early.update(data);
    early.reset();
    assertArrayEquals(jdk.doFinal(data), early.doFinal(data));
    assertEquals(before, provider.operationCount(ProviderOperation.MAC));
  }

  private static SecureRandom assertDoesNotThrowGet(String algorithm) {
    try {
      return SecureRandom.getInstance(algorithm);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError("SecureRandom " + algorithm + " not found", e);
    }
  }
}
