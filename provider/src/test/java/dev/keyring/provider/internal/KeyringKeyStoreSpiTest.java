package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringPrivateKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.UnrecoverableEntryException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringKeyStoreSpiTest {
  private static final char[] PASSWORD = FakeClusterProvider.PASSWORD.toCharArray();

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);
  private final KeyStore ks = fake.keyStore();

  private KeyPair labelled(String label) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(KeyringKeyGenParameterSpec.builder().label(label).build());
    return g.generateKeyPair();
  }

  private static List<String> aliases(KeyStore ks) throws KeyStoreException {
    return Collections.list(ks.aliases());
  }

  private IOException loadFails(String slot, char[] password) throws Exception {
    KeyStore other = KeyStore.getInstance("Keyring", fake.provider());
    byte[] props = ("slot=" + slot).getBytes(StandardCharsets.UTF_8);
    return assertThrows(
        IOException.class, () -> other.load(new ByteArrayInputStream(props), password));
  }

  @Test
  void load_withAWrongPassword_failsWithUnrecoverableKey() throws Exception {
    IOException e = loadFails(FakeClusterProvider.KEYRING, "not-the-password".toCharArray());
    assertInstanceOf(UnrecoverableKeyException.class, e.getCause());
    assertTrue(e.getMessage().contains("CKR_PIN_INCORRECT"), e.getMessage());
  }

  @Test
  void load_ofASlotFileSavedWithAByteOrderMarkAndCrlf_readsItsSlot() throws Exception {
    labelled("bom-key");
    KeyStore other = KeyStore.getInstance("Keyring", fake.provider());
    byte[] props =
        ("\uFEFFslot=" + FakeClusterProvider.KEYRING + "\r\n").getBytes(StandardCharsets.UTF_8);
    other.load(new ByteArrayInputStream(props), PASSWORD);
    assertTrue(aliases(other).contains("bom-key"), aliases(other).toString());
  }

  @Test
  void load_ofAnUnknownKeyring_namesIt() throws Exception {
    IOException e = loadFails("nowhere", PASSWORD);
    assertTrue(e.getMessage().contains("'nowhere'"), e.getMessage());
    assertTrue(e.getMessage().contains("CKR_SLOT_ID_INVALID"), e.getMessage());
  }

  @Test
  void generatedKey_withALabel_isAKeyEntry_whoseKeyIsTheHandle() throws Exception {
    KeyPair kp = labelled("signer");
    assertEquals(List.of("signer"), aliases(ks));
    assertTrue(ks.containsAlias("signer"));
    assertTrue(ks.isKeyEntry("signer"));
    assertFalse(ks.isCertificateEntry("signer"));
    Key k = ks.getKey("signer", PASSWORD);
    assertEquals(kp.getPrivate(), k);
    assertEquals(kp.getPublic(), ((KeyringPrivateKey) k).publicKey());
    assertNull(ks.getCertificateChain("signer"));
    assertThrows(UnrecoverableKeyException.class, () -> ks.getKey("signer", "other".toCharArray()));
  }

  @Test
  void privateKeyWithoutCertificate_isNoPrivateKeyEntry() throws Exception {
    labelled("bare");
    assertThrows(
        UnrecoverableEntryException.class,
        () -> ks.getEntry("bare", new KeyStore.PasswordProtection(PASSWORD)));
  }

  @Test
  void setKeyEntry_ofAKeyringKey_withItsChain_relabelsIt_andKeepsTheChain() throws Exception {
    KeyPair kp = labelled("before");
    KeyPair ca = TestCertificates.softwareEcKey();
    X509Certificate root = TestCertificates.selfSigned("root", ca);
    X509Certificate leaf =
        TestCertificates.issue("server", kp.getPublic(), "root", ca.getPrivate());
    ks.setKeyEntry("server", kp.getPrivate(), PASSWORD, new Certificate[] {leaf, root});
    assertEquals(List.of("server"), aliases(ks));
    assertArrayEquals(new Certificate[] {leaf, root}, ks.getCertificateChain("server"));
    assertEquals(leaf, ks.getCertificate("server"));
    assertEquals("server", ks.getCertificateAlias(leaf));
    KeyStore.PrivateKeyEntry entry =
        (KeyStore.PrivateKeyEntry) ks.getEntry("server", new KeyStore.PasswordProtection(PASSWORD));
    assertEquals(kp.getPrivate(), entry.getPrivateKey());
    // the public key object followed its private key's new label
    assertEquals(
        2,
        fake.cluster().objects(FakeClusterProvider.KEYRING).stream()
            .filter(o -> o.label().equals("server"))
            .filter(o -> o.objectClass() != dev.keyring.protocol.ObjectClass.CERTIFICATE)
            .count());
  }

  @Test
  void setEntry_withNoProtection_storesKeyEntries_asSetKeyEntryWithNoPasswordDoes()
      throws Exception {
    KeyPair kp = labelled("before");
    KeyPair ca = TestCertificates.softwareEcKey();
    X509Certificate leaf = TestCertificates.issue("signer", kp.getPublic(), "ca", ca.getPrivate());
    ks.setEntry(
        "signer", new KeyStore.PrivateKeyEntry(kp.getPrivate(), new Certificate[] {leaf}), null);
    SecretKey aes = KeyGenerator.getInstance("AES", fake.provider()).generateKey();
    ks.setEntry("data", new KeyStore.SecretKeyEntry(aes), null);
    assertEquals(kp.getPrivate(), ks.getKey("signer", null));
    assertArrayEquals(new Certificate[] {leaf}, ks.getCertificateChain("signer"));
    assertEquals(aes, ks.getKey("data", null));
  }

  @Test
  void setKeyEntry_ofASoftwareKey_importsIt_andItSignsForItsPublicKey() throws Exception {
    KeyPair soft = TestCertificates.softwareEcKey();
    X509Certificate cert = TestCertificates.selfSigned("imported", soft);
    ks.setKeyEntry("imported", soft.getPrivate(), PASSWORD, new Certificate[] {cert});
    PrivateKey handle = (PrivateKey) ks.getKey("imported", PASSWORD);
    assertNull(handle.getEncoded());
    Signature s = Signature.getInstance("SHA256withECDSA", fake.provider());
    s.initSign(handle);
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    Signature jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initVerify(soft.getPublic());
    jdk.update(new byte[] {1, 2, 3});
    assertTrue(jdk.verify(sig));
    // the import's transport key pair and unwrapping key are gone: key and certificate remain
    assertEquals(2, fake.cluster().objects(FakeClusterProvider.KEYRING).size());
  }

  @Test
  void setKeyEntry_ofASoftwareEcKey_certifiedForKeyAgreementOnly_makesAKeyThatDerives()
      throws Exception {
    KeyPair soft = TestCertificates.softwareEcKey();
    X509Certificate cert = TestCertificates.selfSignedForKeyAgreement("agree", soft);
    ks.setKeyEntry("agree", soft.getPrivate(), PASSWORD, new Certificate[] {cert});
    PrivateKey handle = (PrivateKey) ks.getKey("agree", PASSWORD);
    javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(handle);
    ka.doPhase(TestCertificates.softwareEcKey().getPublic(), true);
    assertNull(ka.generateSecret("AES").getEncoded());
    Signature s = Signature.getInstance("SHA256withECDSA", fake.provider());
    s.initSign(handle);
    s.update(new byte[] {1});
    assertThrows(java.security.SignatureException.class, s::sign);
  }

  @Test
  void setCertificateEntry_makesATrustedEntry_andDeleteEntryRemovesIt() throws Exception {
    X509Certificate cert = TestCertificates.selfSigned("trusted", TestCertificates.softwareEcKey());
    ks.setCertificateEntry("trusted", cert);
    assertTrue(ks.isCertificateEntry("trusted"));
    assertEquals(cert, ks.getCertificate("trusted"));
    assertInstanceOf(KeyStore.TrustedCertificateEntry.class, ks.getEntry("trusted", null));
    ks.deleteEntry("trusted");
    assertFalse(ks.containsAlias("trusted"));
    assertEquals(0, ks.size());
  }

  @Test
  void setCertificateEntry_onAKeyEntry_isRefused() throws Exception {
    labelled("key");
    X509Certificate cert = TestCertificates.selfSigned("x", TestCertificates.softwareEcKey());
    assertThrows(KeyStoreException.class, () -> ks.setCertificateEntry("key", cert));
  }

  @Test
  void deleteEntry_destroysTheKey_itsPublicKey_andItsCertificates() throws Exception {
    KeyPair kp = labelled("gone");
    KeyPair ca = TestCertificates.softwareEcKey();
    X509Certificate leaf = TestCertificates.issue("gone", kp.getPublic(), "ca", ca.getPrivate());
    ks.setKeyEntry("gone", kp.getPrivate(), PASSWORD, new Certificate[] {leaf});
    assertEquals(3, fake.cluster().objects(FakeClusterProvider.KEYRING).size());
    ks.deleteEntry("gone");
    assertTrue(fake.cluster().objects(FakeClusterProvider.KEYRING).isEmpty());
    assertNull(ks.getKey("gone", PASSWORD));
  }

  @Test
  void setKeyEntry_ofProtectedKeyBytes_isRefused() {
    assertThrows(
        KeyStoreException.class, () -> ks.setKeyEntry("raw", new byte[16], new Certificate[0]));
  }

  // ---- removals that leave objects are failures

  private long handleOf(String label, dev.keyring.protocol.ObjectClass c) {
    return fake.cluster().objects(FakeClusterProvider.KEYRING).stream()
        .filter(o -> o.label().equals(label) && o.objectClass() == c)
        .findFirst()
        .orElseThrow()
        .handle();
  }

  private KeyPair entryWithCertificate(String alias) throws Exception {
    KeyPair kp = labelled(alias);
    KeyPair ca = TestCertificates.softwareEcKey();
    X509Certificate leaf = TestCertificates.issue(alias, kp.getPublic(), "ca", ca.getPrivate());
    ks.setKeyEntry(alias, kp.getPrivate(), PASSWORD, new Certificate[] {leaf});
    return kp;
  }

  @Test
  void deleteEntry_whoseCertificateCannotBeDestroyed_failsNamingIt() throws Exception {
    entryWithCertificate("stuck");
    long cert = handleOf("stuck", dev.keyring.protocol.ObjectClass.CERTIFICATE);
    fake.cluster().refuseToDestroy(FakeClusterProvider.KEYRING, cert);
    KeyStoreException e = assertThrows(KeyStoreException.class, () -> ks.deleteEntry("stuck"));
    assertTrue(e.getMessage().contains("'stuck'"), e.getMessage());
    assertTrue(e.getMessage().contains("1 object is still on the keyring"), e.getMessage());
    assertTrue(e.getMessage().contains("certificate (handle " + cert + ")"), e.getMessage());
    assertTrue(e.getMessage().contains("CKR_FUNCTION_FAILED"), e.getMessage());
    assertInstanceOf(dev.keyring.protocol.HsmException.class, e.getCause());
    // the key and its public key went; the certificate is still there, as the message says
    assertEquals(1, fake.cluster().objects(FakeClusterProvider.KEYRING).size());
    assertTrue(ks.isCertificateEntry("stuck"));
  }

  @Test
  void deleteEntry_whoseKeyCannotBeDestroyed_triesNothingElse_andSaysSo() throws Exception {
    entryWithCertificate("kept");
    long key = handleOf("kept", dev.keyring.protocol.ObjectClass.PRIVATE_KEY);
    fake.cluster().refuseToDestroy(FakeClusterProvider.KEYRING, key);
    KeyStoreException e = assertThrows(KeyStoreException.class, () -> ks.deleteEntry("kept"));
    assertTrue(e.getMessage().contains("3 objects are still on the keyring"), e.getMessage());
    assertTrue(e.getMessage().contains("private key (handle " + key + ")"), e.getMessage());
    assertTrue(e.getMessage().contains("not tried"), e.getMessage());
    assertEquals(3, fake.cluster().objects(FakeClusterProvider.KEYRING).size(), "entry whole");
    assertTrue(ks.isKeyEntry("kept"));
  }

  @Test
  void deleteEntry_cutOffOnTheWire_saysTheObjectMayBeLeft_andCanBeRunAgain() throws Exception {
    X509Certificate cert = TestCertificates.selfSigned("cut", TestCertificates.softwareEcKey());
    ks.setCertificateEntry("cut", cert);
    // the destroy is carried out, then its answer is lost: the write is not repeated
    fake.cluster().member(0).cutOffNextWrite();
    KeyStoreException e = assertThrows(KeyStoreException.class, () -> ks.deleteEntry("cut"));
    assertTrue(e.getMessage().contains("may be left"), e.getMessage());
    assertInstanceOf(dev.keyring.client.api.TransportException.class, e.getCause());
    ks.deleteEntry("cut"); // what is left, if anything, goes now
    assertFalse(ks.containsAlias("cut"));
    assertTrue(fake.cluster().objects(FakeClusterProvider.KEYRING).isEmpty());
  }

  @Test
  void replacingAnEntry_whoseOldCertificateCannotBeDestroyed_failsAfterStoringTheNewOne()
      throws Exception {
    X509Certificate first = TestCertificates.selfSigned("first", TestCertificates.softwareEcKey());
    ks.setCertificateEntry("ca", first);
    long old = handleOf("ca", dev.keyring.protocol.ObjectClass.CERTIFICATE);
    fake.cluster().refuseToDestroy(FakeClusterProvider.KEYRING, old);
    X509Certificate second =
        TestCertificates.selfSigned("second", TestCertificates.softwareEcKey());
    KeyStoreException e =
        assertThrows(KeyStoreException.class, () -> ks.setCertificateEntry("ca", second));
    assertTrue(e.getMessage().contains("was stored"), e.getMessage());
    assertTrue(e.getMessage().contains("certificate (handle " + old + ")"), e.getMessage());
    assertEquals(2, fake.cluster().objects(FakeClusterProvider.KEYRING).size());
  }

  @Test
  void store_withAnotherPassword_isRefused_namingHowToChangeTheKeyringsPassword() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    char[] other = "new-store-password".toCharArray();
    IOException e = assertThrows(IOException.class, () -> ks.store(out, other));
    assertTrue(
        e.getMessage().contains("keyringcm role changepw -name co -slot app"), e.getMessage());
    assertFalse(e.getMessage().contains(FakeClusterProvider.PASSWORD), e.getMessage());
    assertFalse(e.getMessage().contains("new-store-password"), e.getMessage());
    assertEquals(0, out.size());
    assertThrows(IOException.class, () -> ks.store(null, other));
    // the keyring's own password, or none: the slot properties, as before
    ks.store(out, PASSWORD);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("slot=app"), out.toString());
    ks.store(null, null);
  }

  @Test
  void setKeyEntry_ofTheEntrysOwnKey_withAnotherKeyPassword_isRefused_andChangesNothing()
      throws Exception {
    KeyPair kp = labelled("signer");
    KeyPair ca = TestCertificates.softwareEcKey();
    Certificate[] chain = {TestCertificates.issue("signer", kp.getPublic(), "ca", ca.getPrivate())};
    ks.setKeyEntry("signer", kp.getPrivate(), PASSWORD, chain);
    List<Long> before = handles();
    KeyStoreException e =
        assertThrows(
            KeyStoreException.class,
            () -> ks.setKeyEntry("signer", kp.getPrivate(), "new-key-pw".toCharArray(), chain));
    assertTrue(e.getMessage().contains("'signer'"), e.getMessage());
    assertTrue(e.getMessage().contains("keyringcm role changepw -name co"), e.getMessage());
    assertFalse(e.getMessage().contains("new-key-pw"), e.getMessage());
    assertEquals(before, handles());
    assertEquals(kp.getPrivate(), ks.getKey("signer", PASSWORD));
    assertArrayEquals(chain, ks.getCertificateChain("signer"));
    // with the store password, or none, the entry's own key takes a new chain (a CA's reply)
    ks.setKeyEntry("signer", kp.getPrivate(), null, chain);
    assertArrayEquals(chain, ks.getCertificateChain("signer"));
  }

  private List<Long> handles() {
    return fake.cluster().objects(FakeClusterProvider.KEYRING).stream()
        .map(KeyringObject::handle)
        .sorted()
        .collect(Collectors.toList());
  }
}
