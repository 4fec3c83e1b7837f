package dev.keyring.benchmarks;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;

/**
 * The Keyring provider on an embedded one-member cluster in the benchmark's JVM: every operation is
 * a round trip over loopback mutual TLS to the member, whose boundary holds the key. Client, member
 * and crypto share the JVM and its cores.
 */
final class KeyringRig extends ProviderRig {
  static final String NAME = "keyring";
  private static final String KEYRING = "bench";
  private static final String PASSWORD = "bench-password-1";

  private Path dir;
  private LocalCluster cluster;
  private KeyringProvider provider;

  @Override
  String name() {
    return NAME;
  }

  @Override
  void setUp(ProviderOp op) throws Exception {
    dir = Files.createTempDirectory("keyring-bench-provider-");
    cluster = LocalCluster.start(dir);
    cluster.createKeyring(KEYRING, PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
    KeyStore.getInstance("Keyring", provider)
        .load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    generateKeys(op, provider);
  }

  @Override
  Provider provider(ProviderOp op) {
    return provider;
  }

  @Override
  void tearDown() throws IOException {
    if (provider != null) {
      provider.close();
    }
    if (cluster != null) {
      int left = cluster.cluster().member(0).openSessions();
      cluster.close();
      if (left != 0) {
        System.out.println("# WARNING (keyring): the member had " + left + " open session(s)");
      }
    }
    TempTrees.delete(dir);
  }
}
