package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.channel.FakeCluster;
import dev.keyring.testing.channel.FakeMember;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The KeyStore when reads go to a member that lags behind the cluster's log: m1 has stopped
 * applying entries and is read-only (so writes go to m2, the primary), but it is still the member
 * reads reach first. The application's own writes are read anyway, and deletes are decided on the
 * primary, also for entries another client wrote.
 */
class KeyStoreOnALaggingMemberTest {
  private static final char[] PASSWORD = FakeClusterProvider.PASSWORD.toCharArray();

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(2);
  private final KeyStore ks = fake.keyStore();
  private final FakeCluster cluster = fake.cluster();
  private final FakeMember lagging = cluster.member(0);
  private final FakeMember primary = cluster.member(1);

  @BeforeEach
  void lagMemberOne() {
    cluster.primary(1);
    lagging.readOnly(true);
    cluster.router().refreshView();
    lagging.lagBehind();
  }

  private KeyPair generate(String label) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(KeyringKeyGenParameterSpec.builder().label(label).build());
    return g.generateKeyPair();
  }

  private long objectsLabelled(String label) {
    return cluster.objects(FakeClusterProvider.KEYRING).stream()
        .filter(o -> o.label().equals(label))
        .count();
  }

  @Test
  void containsAlias_rightAfterGenerate_isTrue_andTheKeySigns() throws Exception {
    KeyPair kp = generate("fresh");
    assertEquals(1, primary.calls("generateKeyPair"), "written on the primary");

    assertTrue(ks.containsAlias("fresh"));
    assertTrue(ks.isKeyEntry("fresh"));
    assertTrue(lagging.calls("findObjects") > 0, "the read reached the lagging member first");
    assertTrue(primary.calls("findObjects") > 0, "and was answered by the primary");

    Signature s = Signature.getInstance("SHA256withECDSA", fake.provider());
    s.initSign((PrivateKey) ks.getKey("fresh", PASSWORD));
    s.update(new byte[] {4, 2});
    byte[] sig = s.sign();
    Signature jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initVerify(kp.getPublic());
    jdk.update(new byte[] {4, 2});
    assertTrue(jdk.verify(sig));
  }

  @Test
  void deleteEntry_rightAfterGenerate_deletesEveryObject() throws Exception {
    generate("short-lived");
    assertEquals(2, objectsLabelled("short-lived"));

    ks.deleteEntry("short-lived");

    assertEquals(0, objectsLabelled("short-lived"), "key pair gone from the cluster");
    assertFalse(ks.containsAlias("short-lived"), "and this client reads its delete");
    assertEquals(0, lagging.calls("findObjectsOnPrimary"));
    assertEquals(1, primary.calls("findObjectsOnPrimary"), "the lookup was the primary's");
  }

  @Test
  void deleteEntry_ofAnotherClientsEntry_isDecidedOnThePrimary() throws Exception {
    X509Certificate cert = TestCertificates.selfSigned("theirs", TestCertificates.softwareEcKey());
    cluster.createObjectAsAnotherClient(
        FakeClusterProvider.KEYRING,
        Attributes.builder()
            .objectClass(ObjectClass.CERTIFICATE)
            .label("theirs")
            .set(AttributeType.CKA_VALUE, cert.getEncoded())
            .build());
    // an ordinary read may miss another client's write on a member that has not applied it
    assertFalse(ks.containsAlias("theirs"), "the lagging member does not hold it yet");

    ks.deleteEntry("theirs");

    assertEquals(0, objectsLabelled("theirs"), "found on the primary, and deleted");
    assertFalse(ks.containsAlias("theirs"));
  }

  @Test
  void replacingAnotherClientsCertificate_removesTheOldOne() throws Exception {
    X509Certificate old = TestCertificates.selfSigned("old", TestCertificates.softwareEcKey());
    cluster.createObjectAsAnotherClient(
        FakeClusterProvider.KEYRING,
        Attributes.builder()
            .objectClass(ObjectClass.CERTIFICATE)
            .label("ca")
            .set(AttributeType.CKA_VALUE, old.getEncoded())
            .build());
    X509Certificate fresh = TestCertificates.selfSigned("new", TestCertificates.softwareEcKey());

    ks.setCertificateEntry("ca", fresh);

    assertEquals(1, objectsLabelled("ca"), "the alias names one certificate");
    assertEquals(fresh, ks.getCertificate("ca"));
  }
}
