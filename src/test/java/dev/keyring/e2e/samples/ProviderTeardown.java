package dev.keyring.e2e.samples;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import java.security.Security;

/** The end of a class of tests that registered a Keyring provider over a sample cluster. */
public final class ProviderTeardown {
  private ProviderTeardown() {}

  /** Unregisters the provider, then closes it and the cluster (either may be null). */
  public static void close(KeyringProvider provider, LocalCluster cluster) {
    Security.removeProvider(KeyringProvider.NAME);
    if (provider != null) {
      provider.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }
}
