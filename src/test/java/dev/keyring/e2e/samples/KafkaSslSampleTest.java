package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.kafka.KafkaLoopback;
import dev.keyring.samples.kafka.KafkaLoopback.Exchange;
import dev.keyring.samples.kafka.KafkaSslSample;
import dev.keyring.samples.kafka.KeyringSecurityProviderCreator;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.network.ConnectionMode;
import org.apache.kafka.common.security.ssl.SslFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka sample: Kafka's own SSL classes, configured from properties files only, load keys from
 * keyrings through {@code security.providers} and {@code ssl.keystore.type=Keyring}, and complete
 * TLS handshakes whose signatures the keyrings make.
 */
class KafkaSslSampleTest {
  private static final String BROKER_PASSWORD = "broker-test-pw-1";
  private static final String CLIENT_PASSWORD = "client-test-pw-1";
  private static final String P12_PASSWORD = "software-p12-pw";

  @TempDir static Path dir;
  static LocalCluster cluster;
  static KafkaSslSample.Files files;

  @BeforeAll
  static void start() throws Exception {
    assertNull(
        Security.getProvider(KeyringProvider.NAME),
        "a Keyring provider left installed by another test");
    cluster = WatchedClusters.start(dir);
    files =
        KafkaSslSample.provision(cluster, dir.resolve("kafka"), BROKER_PASSWORD, CLIENT_PASSWORD);
  }

  @AfterAll
  static void stop() {
    try {
      Provider p = Security.getProvider(KeyringProvider.NAME);
      Security.removeProvider(KeyringProvider.NAME);
      if (p instanceof KeyringProvider) {
        ((KeyringProvider) p).close();
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

  private static Properties broker() throws Exception {
    return KafkaSslSample.load(files.brokerProperties());
  }

  private static Properties client() throws Exception {
    return KafkaSslSample.load(files.clientProperties());
  }

  /** The provider Kafka installed at position 1. */
  private static KeyringProvider installedTls() {
    Provider first = Security.getProviders()[0];
    assertEquals(KeyringProvider.NAME, first.getName(), "Kafka puts the provider first");
    KeyringProvider p = assertInstanceOf(KeyringProvider.class, first);
    assertNull(p.getService("KeyPairGenerator", "EC"), "installed without generators");
    return p;
  }

  /** The Keyring provider behind the one Kafka installed, for its operation counts. */
  private static KeyringProvider installed() {
    return installedTls();
  }

  private static Map<String, Object> brokerSslConfigs() throws Exception {
    AbstractConfig config = KafkaLoopback.brokerConfig(broker());
    Map<String, Object> m = new HashMap<>();
    config.originals().forEach((k, v) -> m.put(k, v));
    m.putAll(config.values());
    return m;
  }

  @Test
  void sslFactoryInServerMode_loadsTheKeyringKeyStore_andItsValidationHandshakeSignsOnTheKeyring()
      throws Exception {
    Map<String, Object> configs = brokerSslConfigs();
    // as for an inter-broker listener: Kafka validates key store and trust store with a handshake
    SslFactory first = new SslFactory(ConnectionMode.SERVER, null, true);
    first.configure(configs);
    KeyringProvider provider = installed();
    long signs = provider.operationCount(ProviderOperation.SIGN);
    int sessions = cluster.cluster().member(0).openSessions();
    try (SslFactory again = new SslFactory(ConnectionMode.SERVER, null, true)) {
      again.configure(configs);
      KeyStore ks = again.sslEngineFactory().keystore();
      assertEquals("Keyring", ks.getType());
      assertSame(
          installedTls(), ks.getProvider(), "one provider per JVM for one configuration file");
      assertTrue(ks.isKeyEntry(KafkaSslSample.BROKER_ALIAS));
      assertTrue(
          provider.operationCount(ProviderOperation.SIGN) > signs,
          "Kafka's validation handshake signed with the keyring key");
      assertEquals(
          sessions,
          cluster.cluster().member(0).openSessions(),
          "configuring again reuses the provider's login");
    } finally {
      first.close();
    }
  }

  @Test
  void mutualTls_overKafkaSelectors_eachSideSignsOnceOnItsKeyring() throws Exception {
    try (KafkaLoopback loopback = KafkaLoopback.start(broker(), client())) {
      KeyringProvider provider = installed();
      Map<ProviderOperation, Long> before = provider.operationCounts();
      int sessions = cluster.cluster().member(0).openSessions();
      byte[] payload = "produce: one record".getBytes(StandardCharsets.UTF_8);

      Exchange x = loopback.roundTrip(payload);

      assertEquals("User:" + KafkaSslSample.CLIENT_DN, x.clientPrincipal());
      assertEquals("TLSv1.3", x.protocol());
      assertArrayEquals(payload, x.received());
      assertEquals(
          "received " + payload.length + " bytes", new String(x.reply(), StandardCharsets.UTF_8));
      Map<ProviderOperation, Long> after = provider.operationCounts();
      Map<ProviderOperation, Long> expected = new HashMap<>(before);
      // the broker's ECDSA CertificateVerify and the client's RSA-PSS CertificateVerify
      expected.put(ProviderOperation.SIGN, before.get(ProviderOperation.SIGN) + 2);
      assertEquals(expected, after, "only the two signatures ran on the cluster");
      assertEquals(sessions, cluster.cluster().member(0).openSessions());
    }
  }

  @Test
  void
      softwareClientKey_withKeyringAtPositionOne_signsWithTheJdk_andOnlyTheBrokerSignsOnTheKeyring()
          throws Exception {
    KeyPair soft = softwareEc();
    Certificate cert =
        KafkaSslSample.issue(
            files.ca(), files.caKeys().getPrivate(), "CN=software-client", soft, false);
    Path p12 = dir.resolve("software-client.p12");
    KeyStore ks = KeyStore.getInstance("PKCS12", "SUN");
    ks.load(null, null);
    ks.setKeyEntry(
        "client",
        soft.getPrivate(),
        P12_PASSWORD.toCharArray(),
        new Certificate[] {cert, files.ca()});
    try (OutputStream out = Files.newOutputStream(p12)) {
      ks.store(out, P12_PASSWORD.toCharArray());
    }
    Properties client = client();
    // the provider is still installed first by the client's own configuration
    client.setProperty("ssl.keystore.type", "PKCS12");
    client.setProperty("ssl.keystore.location", p12.toString());
    client.setProperty("ssl.keystore.password", P12_PASSWORD);
    client.setProperty("ssl.key.password", P12_PASSWORD);

    try (KafkaLoopback loopback = KafkaLoopback.start(broker(), client)) {
      KeyringProvider provider = installed();
      Map<ProviderOperation, Long> before = provider.operationCounts();

      Exchange x = loopback.roundTrip(new byte[] {1, 2, 3});

      assertEquals("User:CN=software-client", x.clientPrincipal());
      Map<ProviderOperation, Long> expected = new HashMap<>(before);
      expected.put(ProviderOperation.SIGN, before.get(ProviderOperation.SIGN) + 1);
      assertEquals(
          expected, provider.operationCounts(), "the broker's signature only; the client's stayed");
    }
  }

  @Test
  void jsseSoftwareKeyOperations_withKeyringAtPositionOne_stayOffTheCluster() throws Exception {
    try (SslFactory f = new SslFactory(ConnectionMode.SERVER)) {
      f.configure(brokerSslConfigs());
    }
    KeyringProvider provider = installed();
    Map<ProviderOperation, Long> before = provider.operationCounts();
    byte[] data = "handshake transcript".getBytes(StandardCharsets.UTF_8);

    KeyPair ec = softwareEc();
    Signature ecdsa = Signature.getInstance("SHA256withECDSA");
    ecdsa.initSign(ec.getPrivate());
    assertNotEquals(KeyringProvider.NAME, ecdsa.getProvider().getName());

    KeyPairGenerator rg = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
    rg.initialize(2048);
    KeyPair rsa = rg.generateKeyPair();
    Signature pss = Signature.getInstance("RSASSA-PSS");
    pss.initSign(rsa.getPrivate());
    pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
    assertNotEquals(KeyringProvider.NAME, pss.getProvider().getName());

    KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
    ecdh.init(ec.getPrivate());
    assertNotEquals(KeyringProvider.NAME, ecdh.getProvider().getName());

    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(
        Cipher.ENCRYPT_MODE,
        new SecretKeySpec(new byte[16], "AES"),
        new GCMParameterSpec(128, new byte[12]));
    assertNotEquals(KeyringProvider.NAME, gcm.getProvider().getName());

    // JSSE's HKDF asks the Mac for its length before init, which binds the first provider's Mac
    SecretKeySpec hkdfSalt = new SecretKeySpec(new byte[32], "HKDF-Salt");
    Mac early = Mac.getInstance("HmacSHA256");
    assertEquals(32, early.getMacLength());
    early.init(hkdfSalt);
    Mac jdk = Mac.getInstance("HmacSHA256", "SunJCE");
    jdk.init(hkdfSalt);
    assertArrayEquals(jdk.doFinal(data), early.doFinal(data));

    assertNotEquals(KeyringProvider.NAME, new SecureRandom().getProvider().getName());
    // chosen by position alone: none is offered by the installed provider
    assertNotEquals(KeyringProvider.NAME, KeyGenerator.getInstance("AES").getProvider().getName());
    assertNotEquals(
        KeyringProvider.NAME, KeyPairGenerator.getInstance("EC").getProvider().getName());
    assertNotEquals(KeyringProvider.NAME, KeyFactory.getInstance("EC").getProvider().getName());
    assertEquals(before, provider.operationCounts(), "no operation ran on the cluster");
  }

  @Test
  void creator_withoutConfigurationFile_failsNamingTheSetting() {
    KeyringSecurityProviderCreator c = new KeyringSecurityProviderCreator();
    String saved = System.clearProperty(KeyringSecurityProviderCreator.CONFIG);
    try {
      ConfigException e = assertThrows(ConfigException.class, () -> c.configure(Map.of()));
      assertTrue(e.getMessage().contains(KeyringSecurityProviderCreator.CONFIG), e.getMessage());
      ConfigException missing =
          assertThrows(
              ConfigException.class,
              () ->
                  c.configure(
                      Map.of(
                          KeyringSecurityProviderCreator.CONFIG,
                          dir.resolve("missing.conf").toString())));
      assertTrue(missing.getMessage().contains("missing.conf"), missing.getMessage());
    } finally {
      if (saved != null) {
        System.setProperty(KeyringSecurityProviderCreator.CONFIG, saved);
      }
    }
  }

  @Test
  void creator_fallsBackToTheSystemProperty_andReturnsTheInstalledProviderForTheSameFile()
      throws Exception {
    try (SslFactory f = new SslFactory(ConnectionMode.SERVER)) {
      f.configure(brokerSslConfigs());
    }
    KeyringProvider provider = installedTls();
    String saved =
        System.setProperty(
            KeyringSecurityProviderCreator.CONFIG, cluster.clientConfig().toString());
    try {
      KeyringSecurityProviderCreator c = new KeyringSecurityProviderCreator();
      c.configure(Map.of());
      assertSame(provider, c.getProvider());
    } finally {
      if (saved == null) {
        System.clearProperty(KeyringSecurityProviderCreator.CONFIG);
      } else {
        System.setProperty(KeyringSecurityProviderCreator.CONFIG, saved);
      }
    }
  }

  @Test
  void creator_withAProviderInstalledForAnotherFile_refuses() throws Exception {
    try (SslFactory f = new SslFactory(ConnectionMode.SERVER)) {
      f.configure(brokerSslConfigs());
    }
    installed();
    Path other = dir.resolve("other-Chrystoki.conf");
    Files.copy(cluster.clientConfig(), other, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    KeyringSecurityProviderCreator c = new KeyringSecurityProviderCreator();
    c.configure(Map.of(KeyringSecurityProviderCreator.CONFIG, other.toString()));
    ConfigException e = assertThrows(ConfigException.class, c::getProvider);
    assertTrue(e.getMessage().contains("already installed"), e.getMessage());
  }

  private static KeyPair softwareEc() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}
