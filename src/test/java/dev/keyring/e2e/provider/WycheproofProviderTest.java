package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.sim.server.Member;
import dev.keyring.testing.wycheproof.WycheproofFileRun;
import dev.keyring.testing.wycheproof.WycheproofVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the C2SP Wycheproof vectors through the Keyring JCA provider, end to end: every operation is
 * asked of an engine obtained with {@code getInstance(algorithm, keyringProvider)} (never by
 * delayed selection, so no JDK provider can step in), keys are imported into a keyring with {@link
 * KeyStore#setKeyEntry}, and the work happens on a one-member cluster over mutual TLS. See {@link
 * WycheproofProviderFamily} for how each kind of vector maps onto the JCA.
 *
 * <p>The vectors are read as {@link WycheproofVectors} says; {@link WycheproofFileRun} runs each
 * file.
 */
class WycheproofProviderTest {
  /** Each file and the family its groups belong to. */
  static final Map<String, WycheproofProviderFamily> FILES = new LinkedHashMap<>();

  static {
    FILES.put("aes_gcm_test.json", WycheproofProviderFamily.AES_GCM);
    FILES.put("aes_kwp_test.json", WycheproofProviderFamily.AES_KWP);
    FILES.put("ecdh_secp256r1_test.json", WycheproofProviderFamily.ECDH);
    FILES.put("ecdsa_secp256r1_sha256_test.json", WycheproofProviderFamily.ECDSA);
    FILES.put("ecdsa_secp384r1_sha384_test.json", WycheproofProviderFamily.ECDSA);
    FILES.put("ed25519_test.json", WycheproofProviderFamily.ED25519);
    FILES.put("hmac_sha256_test.json", WycheproofProviderFamily.HMAC);
    FILES.put("rsa_oaep_2048_sha256_mgf1sha256_test.json", WycheproofProviderFamily.RSA_OAEP);
    FILES.put("rsa_pkcs1_2048_sig_gen_test.json", WycheproofProviderFamily.RSA_PKCS1_SIGN);
    FILES.put("rsa_pss_2048_sha256_mgf1_32_test.json", WycheproofProviderFamily.RSA_PSS_VERIFY);
    FILES.put("rsa_signature_2048_sha256_test.json", WycheproofProviderFamily.RSA_PKCS1_VERIFY);
  }

  private static final String SUITE = "Wycheproof provider suite";
  private static final String KEYRING = "wycheproof";
  private static final String PASSWORD = "wycheproof-password-1";

  @TempDir static Path dir;
  static Path vectors;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static WycheproofKeyring keyring;

  @BeforeAll
  static void start() throws Exception {
    vectors = WycheproofVectors.dir();
    if (!Files.isDirectory(vectors)) {
      WycheproofVectors.missing(SUITE, "Wycheproof vectors", vectors);
    }
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(KEYRING, PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    keyring = new WycheproofKeyring(cluster, KEYRING, PASSWORD, provider, ks);
  }

  @AfterAll
  static void stop() {
    try {
      if (provider != null) {
        provider.close();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @TestFactory
  Stream<DynamicNode> wycheproofVectors_runThroughTheKeyringProvider_onTheCluster() {
    List<DynamicNode> nodes = new ArrayList<>();
    for (Map.Entry<String, WycheproofProviderFamily> e : FILES.entrySet()) {
      Path file = vectors.resolve(e.getKey());
      if (!Files.isRegularFile(file)) {
        nodes.add(
            dynamicTest(
                e.getKey(),
                () -> WycheproofVectors.missing(SUITE, "Wycheproof file " + e.getKey(), file)));
        continue;
      }
      nodes.add(
          dynamicContainer(
              e.getKey(),
              new WycheproofFileRun(
                      "wycheproof via provider",
                      file,
                      new WycheproofProviderSubject(e.getValue(), keyring))
                  .tests()));
    }
    nodes.add(
        dynamicTest(
            "the provider's one session is all that was open, and close() ends it",
            WycheproofProviderTest::noSessionLeaked));
    return nodes.stream();
  }

  private static void noSessionLeaked() {
    Member member = cluster.cluster().member(0);
    assertEquals(
        1, member.openSessions(), "open sessions after the vectors: only the provider's login");
    provider.close();
    assertEquals(0, member.openSessions(), "open sessions after provider.close()");
  }
}
