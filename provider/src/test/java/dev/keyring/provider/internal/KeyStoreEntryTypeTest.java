package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.UnrecoverableEntryException;
import java.security.cert.Certificate;
import javax.crypto.KeyGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code KeyStore.entryInstanceOf} answers by the key's class: keytool {@code -list} asks it, and
 * the JDK's default would call a private key without a certificate a {@code SecretKeyEntry}.
 */
class KeyStoreEntryTypeTest {
  private static final char[] PASSWORD = FakeClusterProvider.PASSWORD.toCharArray();

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);
  private final KeyStore ks = fake.keyStore();

  private KeyPair ecKey(String label) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(KeyringKeyGenParameterSpec.builder().label(label).build());
    return g.generateKeyPair();
  }

  @Test
  void privateKey_withoutACertificate_isAPrivateKeyEntry_notASecretKeyEntry() throws Exception {
    ecKey("bare");
    assertTrue(ks.isKeyEntry("bare"));
    assertTrue(ks.entryInstanceOf("bare", KeyStore.PrivateKeyEntry.class));
    assertFalse(ks.entryInstanceOf("bare", KeyStore.SecretKeyEntry.class));
    assertFalse(ks.entryInstanceOf("bare", KeyStore.TrustedCertificateEntry.class));
    assertTrue(ks.entryInstanceOf("bare", KeyStore.Entry.class));
    // a PrivateKeyEntry needs a chain: getEntry says what to do instead of mislabelling the key
    UnrecoverableEntryException e =
        assertThrows(
            UnrecoverableEntryException.class,
            () -> ks.getEntry("bare", new KeyStore.PasswordProtection(PASSWORD)));
    assertTrue(e.getMessage().contains("without a certificate"), e.getMessage());
  }

  @Test
  void privateKey_withItsCertificate_isAPrivateKeyEntry() throws Exception {
    KeyPair kp = ecKey("server");
    KeyPair ca = TestCertificates.softwareEcKey();
    Certificate leaf = TestCertificates.issue("server", kp.getPublic(), "root", ca.getPrivate());
    ks.setKeyEntry("server", kp.getPrivate(), PASSWORD, new Certificate[] {leaf});
    assertTrue(ks.entryInstanceOf("server", KeyStore.PrivateKeyEntry.class));
    assertFalse(ks.entryInstanceOf("server", KeyStore.SecretKeyEntry.class));
    assertTrue(
        ks.getEntry("server", new KeyStore.PasswordProtection(PASSWORD))
            instanceof KeyStore.PrivateKeyEntry);
  }

  @Test
  void secretKey_isASecretKeyEntry() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", fake.provider());
    g.init(KeyringKeyGenParameterSpec.builder().label("aes").keySize(256).build());
    g.generateKey();
    assertTrue(ks.entryInstanceOf("aes", KeyStore.SecretKeyEntry.class));
    assertFalse(ks.entryInstanceOf("aes", KeyStore.PrivateKeyEntry.class));
    assertTrue(
        ks.getEntry("aes", new KeyStore.PasswordProtection(PASSWORD))
            instanceof KeyStore.SecretKeyEntry);
  }

  @Test
  void certificateAlone_isATrustedCertificateEntry_andAnUnknownAliasIsNothing() throws Exception {
    ks.setCertificateEntry(
        "trusted", TestCertificates.selfSigned("trusted", TestCertificates.softwareEcKey()));
    assertTrue(ks.entryInstanceOf("trusted", KeyStore.TrustedCertificateEntry.class));
    assertFalse(ks.entryInstanceOf("trusted", KeyStore.PrivateKeyEntry.class));
    assertFalse(ks.entryInstanceOf("trusted", KeyStore.SecretKeyEntry.class));
    assertFalse(ks.entryInstanceOf("nobody", KeyStore.PrivateKeyEntry.class));
    assertFalse(ks.entryInstanceOf("nobody", KeyStore.Entry.class));
  }
}
