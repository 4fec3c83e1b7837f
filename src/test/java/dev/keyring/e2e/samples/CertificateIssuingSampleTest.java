package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringPrivateKey;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.pki.CertificateIssuingSample;
import dev.keyring.samples.pki.CertificateIssuingSample.Issued;
import dev.keyring.samples.pki.CertificateIssuingSample.Result;
import dev.keyring.samples.pki.CertificateIssuingSample.Selection;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PKI sample: CSRs and certificates signed by keyring keys through BouncyCastle's PKIX API. */
class CertificateIssuingSampleTest {
  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static KeyStore ks;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(CertificateIssuingSample.KEYRING, CertificateIssuingSample.PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
    ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        cluster.slotProperties(CertificateIssuingSample.KEYRING),
        CertificateIssuingSample.PASSWORD.toCharArray());
  }

  @AfterEach
  void unregister() {
    Security.removeProvider(KeyringProvider.NAME);
  }

  @AfterAll
  static void stop() {
    if (provider != null) {
      provider.close();
    }
    if (cluster != null) {
      assertEquals(0, cluster.cluster().member(0).openSessions(), "crypto sessions left open");
      cluster.close();
    }
  }

  private static CertificateIssuingSample sample(Selection selection) {
    return new CertificateIssuingSample(
        provider, ks, CertificateIssuingSample.PASSWORD.toCharArray(), selection);
  }

  @Test
  void delayedSelection_issuesAllThreeFamilies_signedOnTheKeyring_verifiedByTheJdk()
      throws Exception {
    Security.addProvider(provider);
    runAndCheck(sample(Selection.DELAYED), "delayed-");
  }

  @Test
  void explicitProvider_issuesAllThreeFamilies_withoutRegisteringTheProvider() throws Exception {
    assertEquals(null, Security.getProvider(KeyringProvider.NAME));
    runAndCheck(sample(Selection.EXPLICIT), "explicit-");
  }

  @Test
  void jcaContentSignerBuilder_setProviderKeyring_refusesPss_becauseItAsksKeyringForADigest()
      throws Exception {
    KeyPair kp = sample(Selection.EXPLICIT).generateKeyPair("pss-set-provider", "RSA");
    OperatorCreationException e =
        assertThrows(
            OperatorCreationException.class,
            () ->
                new JcaContentSignerBuilder(CertificateIssuingSample.RSA_PSS)
                    .setProvider(provider)
                    .build(kp.getPrivate()));
    assertTrue(
        e.getMessage().contains("no such algorithm: SHA256 for provider Keyring"), e.getMessage());
    // PKCS#1 and ECDSA take setProvider(keyring)
    new JcaContentSignerBuilder(CertificateIssuingSample.RSA_PKCS1)
        .setProvider(provider)
        .build(kp.getPrivate());
  }

  @Test
  void delayedSelection_withoutRegisteringTheProvider_isRefusedWithAHint() throws Exception {
    KeyPair kp = sample(Selection.EXPLICIT).generateKeyPair("unregistered", "EC");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                sample(Selection.DELAYED)
                    .createCsr(kp, "CN=x", null, CertificateIssuingSample.ECDSA));
    assertTrue(e.getMessage().contains("Security.addProvider"), e.getMessage());
  }

  @Test
  void tamperedCsr_failsTheJdkCheck_andIsNotCertified() throws Exception {
    Security.addProvider(provider);
    CertificateIssuingSample s = sample(Selection.DELAYED);
    KeyPair kp = s.generateKeyPair("tampered", "RSA");
    PKCS10CertificationRequest csr =
        s.createCsr(kp, "CN=tampered", null, CertificateIssuingSample.RSA_PSS);
    assertTrue(CertificateIssuingSample.verifyCsr(csr));
    byte[] der = csr.getEncoded();
    der[der.length - 1] ^= 1; // the last byte of the signature
    PKCS10CertificationRequest bad = new PKCS10CertificationRequest(der);
    assertFalse(CertificateIssuingSample.verifyCsr(bad));
    CertificateIssuingSample.Authority root = s.createRootCa("tamper-root", "CN=Tamper Root");
    assertThrows(
        java.security.SignatureException.class,
        () -> s.certify(root, bad, CertificateIssuingSample.RSA_PKCS1, false));
  }

  private static void runAndCheck(CertificateIssuingSample sample, String prefix) throws Exception {
    long signBefore = provider.operationCount(ProviderOperation.SIGN);
    long verifyBefore = provider.operationCount(ProviderOperation.VERIFY);

    Result r = sample.run(prefix);

    assertEquals(
        signBefore + CertificateIssuingSample.SIGNATURES_PER_RUN,
        provider.operationCount(ProviderOperation.SIGN),
        "one keyring signature per CSR and per certificate, and the root's self-signature");
    assertEquals(
        verifyBefore,
        provider.operationCount(ProviderOperation.VERIFY),
        "every check ran in the JDK, none on the keyring");

    X509Certificate root = r.root().certificate();
    assertInstanceOf(KeyringPrivateKey.class, r.root().key());
    assertEquals("RSA", r.root().key().getAlgorithm());
    assertEquals(2048, ((java.security.interfaces.RSAKey) r.root().key()).getModulus().bitLength());
    root.verify(root.getPublicKey());
    assertTrue(root.getBasicConstraints() >= 0, "the root is a CA");
    assertArrayEquals(new Certificate[] {root}, ks.getCertificateChain(prefix + "root-ca"));

    Map<String, Issued> byAlias =
        r.issued().stream()
            .collect(
                java.util.stream.Collectors.toMap(
                    i -> i.alias().substring(prefix.length()), i -> i));
    assertEquals(
        List.of("ec-ca", "ec-leaf", "rsa-pkcs1", "rsa-pss"),
        byAlias.keySet().stream().sorted().toList());

    // the CSRs: signed by the subjects' keyring keys in the three families, checked by the JDK
    assertCsr(byAlias.get("rsa-pkcs1"), PKCSObjectIdentifiers.sha256WithRSAEncryption.getId());
    assertCsr(byAlias.get("rsa-pss"), PKCSObjectIdentifiers.id_RSASSA_PSS.getId());
    assertCsr(byAlias.get("ec-ca"), X9ObjectIdentifiers.ecdsa_with_SHA256.getId());
    assertCsr(byAlias.get("ec-leaf"), X9ObjectIdentifiers.ecdsa_with_SHA256.getId());

    // the certificates: signed by the keyring CAs, checked by the JDK
    X509Certificate pkcs1 = byAlias.get("rsa-pkcs1").certificate();
    assertEquals("SHA256withRSA", pkcs1.getSigAlgName());
    pkcs1.verify(root.getPublicKey());
    X509Certificate pss = byAlias.get("rsa-pss").certificate();
    assertEquals("RSASSA-PSS", pss.getSigAlgName());
    pss.verify(root.getPublicKey());
    X509Certificate ecCa = byAlias.get("ec-ca").certificate();
    assertEquals("SHA256withRSA", ecCa.getSigAlgName());
    assertTrue(ecCa.getBasicConstraints() >= 0, "ec-ca is a CA");
    ecCa.verify(root.getPublicKey());
    X509Certificate ecLeaf = byAlias.get("ec-leaf").certificate();
    assertEquals("SHA256withECDSA", ecLeaf.getSigAlgName());
    ecLeaf.verify(ecCa.getPublicKey());
    assertEquals(-1, ecLeaf.getBasicConstraints());
    assertEquals(List.of(2, "ec.example.test"), onlySan(ecLeaf));
    assertEquals(List.of(2, "pss.example.test"), onlySan(pss));

    // the chains stored with setKeyEntry come back from getCertificateChain, leaf first
    assertArrayEquals(new Certificate[] {pkcs1, root}, byAlias.get("rsa-pkcs1").storedChain());
    assertArrayEquals(new Certificate[] {pss, root}, byAlias.get("rsa-pss").storedChain());
    assertArrayEquals(new Certificate[] {ecCa, root}, byAlias.get("ec-ca").storedChain());
    assertArrayEquals(new Certificate[] {ecLeaf, ecCa, root}, byAlias.get("ec-leaf").storedChain());
    for (Issued i : r.issued()) {
      assertArrayEquals(i.storedChain(), ks.getCertificateChain(i.alias()), i.alias());
      KeyStore.PrivateKeyEntry e =
          (KeyStore.PrivateKeyEntry)
              ks.getEntry(
                  i.alias(),
                  new KeyStore.PasswordProtection(CertificateIssuingSample.PASSWORD.toCharArray()));
      assertInstanceOf(KeyringPrivateKey.class, e.getPrivateKey(), i.alias());
      assertEquals(
          i.certificate().getPublicKey(),
          ((KeyringPrivateKey) e.getPrivateKey()).publicKey(),
          "the certificate is the keyring key's: " + i.alias());
    }
  }

  private static void assertCsr(Issued i, String signatureOid) throws Exception {
    PKCS10CertificationRequest csr = i.csr();
    assertEquals(signatureOid, csr.getSignatureAlgorithm().getAlgorithm().getId(), i.alias());
    assertTrue(CertificateIssuingSample.verifyCsr(csr), i.alias());
    assertEquals("CN=" + i.alias() + ",O=Keyring", csr.getSubject().toString());
    assertEquals(
        i.certificate().getSubjectX500Principal().getName(),
        new javax.security.auth.x500.X500Principal(csr.getSubject().getEncoded()).getName());
  }

  private static List<?> onlySan(X509Certificate c) throws Exception {
    Collection<List<?>> san = c.getSubjectAlternativeNames();
    assertEquals(1, san.size());
    return san.iterator().next();
  }
}
