package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyStore;
import java.security.Security;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code @KeyringCluster} values no cluster can start with are refused before anything starts, with
 * a message that names the attribute.
 */
class KeyringClusterAttributesTest {

  @Test
  void memberCountsOutOfRange_areRefused() {
    assertRefused(NoMember.class, "@KeyringCluster(members) must be 1 to 5, got 0");
    assertRefused(NegativeMembers.class, "@KeyringCluster(members) must be 1 to 5, got -1");
    assertRefused(SixMembers.class, "@KeyringCluster(members) must be 1 to 5, got 6");
  }

  @Test
  void keyringLabelsTheMemberRefuses_areRefused_namingTheAttribute() {
    assertRefused(EmptyKeyring.class, "@KeyringCluster(keyring) must be 1 to 64 characters");
    assertRefused(SpacedKeyring.class, "got \"invoice signer\"");
  }

  @Test
  void passwordsOfTheWrongLength_areRefused_namingTheAttribute() {
    assertRefused(ShortPassword.class, "@KeyringCluster(password) must be 7 to 255 characters");
  }

  @Test
  void aProviderNamedKeyringInstalledAlready_isRefused_andLeftInstalled() {
    java.security.Provider other = new java.security.Provider("Keyring", "1", "another") {};
    Security.addProvider(other);
    try {
      ClassRun run = ClassRun.of(Started.class);
      assertEquals(List.of(), run.passed, run.report());
      assertTrue(
          run.report().contains("a provider named Keyring is installed already"), run.report());
      assertEquals(other, Security.getProvider("Keyring"));
    } finally {
      Security.removeProvider("Keyring");
    }
  }

  @KeyringCluster
  static class Started {
    @Test
    void test(KeyStore ks) {}
  }

  private static void assertRefused(Class<?> test, String message) {
    ClassRun run = ClassRun.of(test);
    assertEquals(List.of(), run.passed, run.report());
    assertEquals(1, run.failures.size(), run.report());
    assertTrue(run.failures.get(0).contains(message), run.report());
    assertTrue(run.failures.get(0).contains("ExtensionConfigurationException"), run.report());
    assertEquals(null, Security.getProvider("Keyring"));
  }

  @KeyringCluster(members = 0)
  static class NoMember {
    @Test
    void test(KeyStore ks) {}
  }

  @KeyringCluster(members = -1)
  static class NegativeMembers {
    @Test
    void test(KeyStore ks) {}
  }

  @KeyringCluster(members = 6)
  static class SixMembers {
    @Test
    void test(KeyStore ks) {}
  }

  @KeyringCluster(keyring = "")
  static class EmptyKeyring {
    @Test
    void test(KeyStore ks) {}
  }

  @KeyringCluster(keyring = "invoice signer")
  static class SpacedKeyring {
    @Test
    void test(KeyStore ks) {}
  }

  @KeyringCluster(password = "short")
  static class ShortPassword {
    @Test
    void test(KeyStore ks) {}
  }
}
