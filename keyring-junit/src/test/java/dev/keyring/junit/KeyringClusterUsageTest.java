package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.KeyringProvider;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code @KeyringCluster} classes as test authors write them (@Nested classes, the per-class
 * lifecycle), run by JUnit here, one after the other: each passes, or fails with a message that
 * names what is wrong.
 */
class KeyringClusterUsageTest {

  @Test
  void nestedClass_takesTheEnclosingClassesCluster() {
    ClassRun run = ClassRun.of(WithNested.class);
    assertEquals(2, run.passed.size(), run.report());
    assertTrue(run.failures.isEmpty(), run.report());
    assertNull(Security.getProvider("Keyring"), "the provider is removed after the class");
  }

  @Test
  void nestedClassWithAClusterOfItsOwn_isRefused_namingBothClasses() {
    ClassRun run = ClassRun.of(NestedWithItsOwn.class);
    assertEquals(1, run.passed.size(), run.report());
    String failure = String.join("\n", run.failures);
    assertTrue(
        failure.contains("@KeyringCluster on " + NestedWithItsOwn.Inner.class.getName()),
        run.report());
    assertTrue(
        failure.contains("enclosing class " + NestedWithItsOwn.class.getName()), run.report());
    assertNull(Security.getProvider("Keyring"));
  }

  @Test
  void perClassLifecycle_constructorAndBeforeAllTakeTheParameters() {
    ClassRun run = ClassRun.of(PerClass.class);
    assertEquals(1, run.passed.size(), run.report());
    assertTrue(run.failures.isEmpty(), run.report());
    assertNull(Security.getProvider("Keyring"));
  }

  @Test
  void annotationOnAnAbstractBaseClass_givesItsSubclassesTheCluster() {
    ClassRun run = ClassRun.of(SignerSubclass.class);
    assertEquals(1, run.passed.size(), run.report());
    assertTrue(run.failures.isEmpty(), run.report());
  }

  @KeyringCluster(keyring = "inherited")
  abstract static class ClusterBase {}

  static class SignerSubclass extends ClusterBase {
    @Test
    void signs(KeyStore ks, TestCluster cluster) throws Exception {
      assertEquals("inherited", cluster.keyring());
      assertNotNull(KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair());
    }
  }

  @KeyringCluster
  static class WithNested {
    static KeyStore outerStore;

    @BeforeAll
    static void outer(KeyStore ks) {
      outerStore = ks;
    }

    @Test
    void signsInTheOuterClass(KeyStore ks) throws Exception {
      assertSame(outerStore, ks);
      assertNotNull(KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair());
    }

    @Nested
    class Inner {
      private final TestCluster cluster;

      Inner(TestCluster cluster) {
        this.cluster = cluster;
      }

      @BeforeEach
      void each(KeyringProvider provider) {
        assertSame(provider, Security.getProvider("Keyring"));
      }

      @Test
      void signsInTheNestedClass(KeyStore ks, TestCluster same) throws Exception {
        assertSame(outerStore, ks);
        assertSame(cluster, same);
        assertNotNull(KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair());
      }
    }
  }

  @KeyringCluster
  static class NestedWithItsOwn {
    @Test
    void outer(KeyStore ks) {
      assertNotNull(ks);
    }

    @Nested
    @KeyringCluster(keyring = "inner")
    class Inner {
      @Test
      void inner(KeyStore ks) {
        assertNotNull(ks);
      }
    }
  }

  @KeyringCluster
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  static class PerClass {
    private final KeyStore store;
    private Provider provider;

    PerClass(KeyStore store) {
      this.store = store;
    }

    @BeforeAll
    void all(Provider p, TestCluster cluster) {
      this.provider = p;
      assertEquals("test", cluster.keyring());
    }

    @Test
    void signs(KeyStore ks) throws Exception {
      assertSame(store, ks);
      assertSame(provider, Security.getProvider("Keyring"));
      assertNotNull(KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair());
    }
  }
}
