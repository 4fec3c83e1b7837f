package dev.keyring.provider.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import javax.crypto.KeyGenerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The alias key manager over a Keyring KeyStore holding several TLS keys: it always offers the
 * configured alias for that alias's key type, and its builder refuses with a message naming the
 * alias every alias that cannot be a TLS identity.
 */
class KeyringAliasKeyManagerTest {
  private static final char[] PASSWORD = FakeClusterProvider.PASSWORD.toCharArray();

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);
  private KeyStore ks;
  private KeyPair ca;

  @BeforeEach
  void keys() throws Exception {
    ks = fake.keyStore();
    ca = TestCertificates.softwareEcKey();
    store("ec-one", "EC");
    store("ec-two", "EC");
    store("rsa", "RSA");
  }

  private KeyPair store(String alias, String algorithm) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm, fake.provider());
    g.initialize(KeyringKeyGenParameterSpec.builder().label(alias).build());
    KeyPair kp = g.generateKeyPair();
    Certificate leaf = TestCertificates.issue(alias, kp.getPublic(), "root", ca.getPrivate());
    ks.setKeyEntry(alias, kp.getPrivate(), PASSWORD, new Certificate[] {leaf});
    return kp;
  }

  @Test
  void serverAlias_isChosenForItsKeyType_andNothingForAnother() throws Exception {
    for (String alias : new String[] {"ec-one", "ec-two"}) {
      KeyringAliasKeyManager km = KeyringAliasKeyManager.forServer(ks, PASSWORD, alias);
      assertEquals(alias, km.chooseServerAlias("EC", null, null));
      assertEquals(alias, km.chooseEngineServerAlias("EC", null, null));
      assertEquals(alias, km.chooseServerAlias("EC_EC", null, null));
      assertArrayEquals(new String[] {alias}, km.getServerAliases("EC", null));
      assertNull(km.chooseServerAlias("RSA", null, null));
      assertNull(km.getServerAliases("RSASSA-PSS", null));
      assertInstanceOf(KeyringPrivateKey.class, km.getPrivateKey(alias));
      assertEquals(
          "CN=" + alias, km.getCertificateChain(alias)[0].getSubjectX500Principal().getName());
      assertEquals(alias, km.serverAlias());
      assertNull(km.clientAlias());
    }
    KeyringAliasKeyManager rsa = KeyringAliasKeyManager.forServer(ks, PASSWORD, "rsa");
    assertEquals("rsa", rsa.chooseServerAlias("RSA", null, null));
    assertNull(rsa.chooseServerAlias("EC", null, null));
  }

  @Test
  void clientAlias_isChosenWhenOneOfItsTypesIsAsked_theServerSideKeepsTheJdkChoice()
      throws Exception {
    KeyringAliasKeyManager km =
        KeyringAliasKeyManager.builder(ks, PASSWORD).clientAlias("ec-two").build();
    assertEquals("ec-two", km.chooseClientAlias(new String[] {"RSA", "EC"}, null, null));
    assertEquals("ec-two", km.chooseEngineClientAlias(new String[] {"EC"}, null, null));
    assertNull(km.chooseClientAlias(new String[] {"RSA"}, null, null));
    // no server alias configured: the JDK's SunX509 choice among the RSA keys (there is one)
    assertEquals("rsa", km.chooseServerAlias("RSA", null, null));
  }

  @Test
  void build_refusesAnAliasTheStoreDoesNotHold_namingIt() {
    KeyStoreException e =
        assertThrows(
            KeyStoreException.class, () -> KeyringAliasKeyManager.forServer(ks, PASSWORD, "web"));
    assertTrue(e.getMessage().contains("'web' is not in the Keyring KeyStore"), e.getMessage());
    assertTrue(e.getMessage().contains("ec-one"), e.getMessage());
  }

  @Test
  void build_refusesASecretKey_aPrivateKeyWithoutCertificate_andACertificateAlone()
      throws Exception {
    KeyGenerator aes = KeyGenerator.getInstance("AES", fake.provider());
    aes.init(KeyringKeyGenParameterSpec.builder().label("aes").keySize(256).build());
    aes.generateKey();
    KeyStoreException secret =
        assertThrows(
            KeyStoreException.class, () -> KeyringAliasKeyManager.forServer(ks, PASSWORD, "aes"));
    assertTrue(secret.getMessage().contains("not a private key entry"), secret.getMessage());

    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(KeyringKeyGenParameterSpec.builder().label("bare").build());
    g.generateKeyPair();
    KeyStoreException bare =
        assertThrows(
            KeyStoreException.class, () -> KeyringAliasKeyManager.forServer(ks, PASSWORD, "bare"));
    assertTrue(bare.getMessage().contains("has no X.509 certificate chain"), bare.getMessage());

    ks.setCertificateEntry("root", TestCertificates.selfSigned("root", ca));
    KeyStoreException trusted =
        assertThrows(
            KeyStoreException.class,
            () -> KeyringAliasKeyManager.builder(ks, PASSWORD).clientAlias("root").build());
    assertTrue(trusted.getMessage().startsWith("clientAlias 'root'"), trusted.getMessage());
  }

  @Test
  void build_refusesAKeyWhoseCertificateCarriesAnotherKeyType_inAnyKeyStore() throws Exception {
    // a Keyring KeyStore refuses such a chain at setKeyEntry; a PKCS12 file may hold one
    KeyStore p12 = KeyStore.getInstance("PKCS12");
    p12.load(null, null);
    KeyPair ec = TestCertificates.softwareEcKey();
    KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    Certificate rsaCert = TestCertificates.issue("rsa", rsa.getPublic(), "root", ca.getPrivate());
    p12.setKeyEntry("mixed", ec.getPrivate(), PASSWORD, new Certificate[] {rsaCert});
    KeyStoreException e =
        assertThrows(
            KeyStoreException.class,
            () -> KeyringAliasKeyManager.forServer(p12, PASSWORD, "mixed"));
    assertTrue(
        e.getMessage().contains("its key is EC but its certificate carries a RSA key"),
        e.getMessage());
  }

  @Test
  void build_refusesAWrongPassword_noAlias_andAnEmptyAlias() {
    assertThrows(
        UnrecoverableKeyException.class,
        () -> KeyringAliasKeyManager.forServer(ks, "not-the-password".toCharArray(), "ec-one"));
    IllegalStateException none =
        assertThrows(
            IllegalStateException.class,
            () -> KeyringAliasKeyManager.builder(ks, PASSWORD).build());
    assertTrue(none.getMessage().contains("serverAlias or clientAlias"), none.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> KeyringAliasKeyManager.builder(ks, PASSWORD).serverAlias(""));
  }
}
