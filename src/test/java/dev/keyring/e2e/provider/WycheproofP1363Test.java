package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.testing.wycheproof.WycheproofFileRun;
import dev.keyring.testing.wycheproof.WycheproofVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Wycheproof ECDSA verification vectors through the provider's P1363 names, on a one-member
 * cluster over mutual TLS; {@link WycheproofP1363Subject} says how each DER vector becomes a P1363
 * one. The shared folder has no P1363 files of its own.
 */
class WycheproofP1363Test {
  static final List<String> FILES =
      List.of("ecdsa_secp256r1_sha256_test.json", "ecdsa_secp384r1_sha384_test.json");

  private static final String SUITE = "Wycheproof P1363 suite";
  private static final String KEYRING = "p1363";
  private static final String PASSWORD = "p1363-password-12";

  @TempDir static Path dir;
  static Path vectors;
  static LocalCluster cluster;
  static KeyringProvider provider;

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
  Stream<DynamicNode> wycheproofEcdsaVectors_convertedToP1363_verifyOnTheCluster() {
    List<DynamicNode> nodes = new ArrayList<>();
    for (String name : FILES) {
      Path file = vectors.resolve(name);
      if (!Files.isRegularFile(file)) {
        nodes.add(
            dynamicTest(
                name, () -> WycheproofVectors.missing(SUITE, "Wycheproof file " + name, file)));
        continue;
      }
      nodes.add(
          dynamicContainer(
              name,
              new WycheproofFileRun(
                      "wycheproof P1363 via provider", file, new WycheproofP1363Subject(provider))
                  .tests()));
    }
    return nodes.stream();
  }
}
