package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringPrivateKey;
import dev.keyring.provider.api.ProviderOperation;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

/** A one-member cluster in this JVM, its provider and KeyStore, as the extension hands them out. */
@KeyringCluster
class KeyringClusterExtensionTest {
  private final KeyStore constructorStore;

  KeyringClusterExtensionTest(KeyStore ks) {
    this.constructorStore = ks;
  }

  @Test
  void keyStore_isLoaded_andTheSameForConstructorAndMethods(KeyStore ks) throws Exception {
    assertSame(constructorStore, ks);
    assertEquals("Keyring", ks.getType());
    assertTrue(!ks.containsAlias("no-such-key"));
  }

  @Test
  void provider_isInstalled_andSignsOnTheKeyring(KeyringProvider provider, KeyStore ks)
      throws Exception {
    assertSame(provider, Security.getProvider("Keyring"));
    long before = provider.operationCount(ProviderOperation.SIGN);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Keyring");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    assertTrue(pair.getPrivate() instanceof KeyringPrivateKey);
    assertNull(pair.getPrivate().getEncoded());
    byte[] sig = Signatures.sign(pair, "signed in a test");
    assertTrue(Signatures.verifies(pair, "signed in a test", sig));
    assertEquals(before + 1, provider.operationCount(ProviderOperation.SIGN));
  }

  @Test
  void testCluster_namesTheConfiguration_andRefusesFaultsOfAnInProcessMember(TestCluster cluster)
      throws Exception {
    assertEquals(1, cluster.members());
    assertEquals("test", cluster.keyring());
    assertTrue(Files.readString(cluster.clientConfig()).contains("DefaultSlot = test;"));
    UnsupportedOperationException e =
        assertThrows(UnsupportedOperationException.class, () -> cluster.kill(0));
    assertTrue(e.getMessage().contains("members = 2"), e.getMessage());
  }
}
