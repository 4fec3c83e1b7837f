package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.testing.TestPki;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemFilesTest {
  @TempDir Path dir;

  private static void assertSameKey(PrivateKey expected, PrivateKey actual) {
    assertEquals(expected.getAlgorithm(), actual.getAlgorithm());
    if (expected instanceof java.security.interfaces.ECPrivateKey) {
      java.security.interfaces.ECPrivateKey e = (java.security.interfaces.ECPrivateKey) expected;
      java.security.interfaces.ECPrivateKey a = (java.security.interfaces.ECPrivateKey) actual;
      assertEquals(e.getS(), a.getS());
      assertEquals(e.getParams().getOrder(), a.getParams().getOrder());
    } else {
      assertArrayEquals(expected.getEncoded(), actual.getEncoded());
    }
  }

  @Test
  void pkcs8EcKey_isRead() throws Exception {
    KeyPair kp = TestPki.ecKeyPair();
    Path f = TestPki.write(dir.resolve("k.pem"), TestPki.pkcs8Pem(kp.getPrivate()));
    assertSameKey(kp.getPrivate(), PemFiles.readPrivateKey(f, "key"));
  }

  @Test
  void sec1EcKey_isRead() throws Exception {
    KeyPair kp = TestPki.ecKeyPair();
    String pem = TestPki.traditionalPem(kp);
    assertTrue(pem.contains("BEGIN EC PRIVATE KEY"), pem);
    Path f = TestPki.write(dir.resolve("k.pem"), pem);
    assertSameKey(kp.getPrivate(), PemFiles.readPrivateKey(f, "key"));
  }

  @Test
  void pkcs1RsaKey_andPkcs8RsaKey_areRead() throws Exception {
    KeyPair kp = TestPki.rsaKeyPair();
    String pem = TestPki.traditionalPem(kp);
    assertTrue(pem.contains("BEGIN RSA PRIVATE KEY"), pem);
    assertSameKey(
        kp.getPrivate(), PemFiles.readPrivateKey(TestPki.write(dir.resolve("a.pem"), pem), "key"));
    assertSameKey(
        kp.getPrivate(),
        PemFiles.readPrivateKey(
            TestPki.write(dir.resolve("b.pem"), TestPki.pkcs8Pem(kp.getPrivate())), "key"));
  }

  @Test
  void encryptedKey_isRefusedWithAClearMessage() throws Exception {
    KeyPair kp = TestPki.ecKeyPair();
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(
          new JcaMiscPEMGenerator(
              kp.getPrivate(),
              new JcePEMEncryptorBuilder("AES-128-CBC")
                  .setProvider(new BouncyCastleProvider())
                  .build("pw".toCharArray())));
    }
    Path f = TestPki.write(dir.resolve("enc.pem"), w.toString());
    TransportException e =
        assertThrows(
            TransportException.class, () -> PemFiles.readPrivateKey(f, "LNHServerClientKey00"));
    assertEquals(TransportException.Kind.CONFIGURATION, e.kind());
    assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
    assertTrue(e.getMessage().contains("LNHServerClientKey00"), e.getMessage());
  }

  @Test
  void missingFile_fileWithoutKey_andGarbage_areRefusedNamingTheFile() {
    Path missing = dir.resolve("nope.pem");
    TransportException a =
        assertThrows(TransportException.class, () -> PemFiles.readPrivateKey(missing, "key"));
    assertTrue(
        a.getMessage().contains("does not exist") && a.getMessage().contains(missing.toString()));

    Path certOnly =
        TestPki.write(
            dir.resolve("cert.pem"), TestPki.pem(TestPki.selfSignedCa(TestPki.ecKeyPair(), "x")));
    TransportException b =
        assertThrows(TransportException.class, () -> PemFiles.readPrivateKey(certOnly, "key"));
    assertTrue(b.getMessage().contains("holds no private key"), b.getMessage());

    Path garbage =
        TestPki.write(
            dir.resolve("g.pem"),
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n");
    TransportException c =
        assertThrows(TransportException.class, () -> PemFiles.readPrivateKey(garbage, "key"));
    assertEquals(TransportException.Kind.CONFIGURATION, c.kind());

    Path empty = TestPki.write(dir.resolve("e.pem"), "");
    TransportException d =
        assertThrows(TransportException.class, () -> PemFiles.readCertificates(empty, "ca"));
    assertTrue(d.getMessage().contains("no '-----BEGIN CERTIFICATE-----'"), d.getMessage());
  }

  /**
   * A relative path in the configuration is resolved against the JVM's working directory, which a
   * server started elsewhere does not share with the operator's shell: the message says where it
   * looked.
   */
  @Test
  void missingFile_atARelativePath_saysWhereItWasLookedFor() {
    Path relative = Path.of("no-such-directory", "client.pem");
    TransportException e =
        assertThrows(
            TransportException.class,
            () -> PemFiles.readCertificates(relative, "LNHServerClientCert00"));
    assertEquals(
        relative
            + " (LNHServerClientCert00) does not exist: a relative path is resolved against the"
            + " working directory, so it is "
            + relative.toAbsolutePath(),
        e.getMessage());
  }

  @Test
  void everyCertificateOfAFile_isRead_inOrder() throws Exception {
    X509Certificate a = TestPki.selfSignedCa(TestPki.ecKeyPair(), "A");
    X509Certificate b = TestPki.selfSignedCa(TestPki.ecKeyPair(), "B");
    Path f = TestPki.write(dir.resolve("cas.pem"), "# comment line\n" + TestPki.pem(a, b));
    List<X509Certificate> read = PemFiles.readCertificates(f, "ca");
    assertEquals(List.of(a, b), read);
  }

  @Test
  void keyNotBelongingToTheCertificate_isRefusedWhenTheClientIsBuilt() {
    KeyPair ca = TestPki.ecKeyPair();
    X509Certificate caCert = TestPki.selfSignedCa(ca, "CA");
    X509Certificate cert = TestPki.issue(caCert, ca.getPrivate(), TestPki.ecKeyPair(), "client");
    Path certFile = TestPki.write(dir.resolve("c.pem"), TestPki.pem(cert));
    Path keyFile =
        TestPki.write(dir.resolve("cKey.pem"), TestPki.pkcs8Pem(TestPki.ecKeyPair().getPrivate()));
    Path caFile = TestPki.write(dir.resolve("ca.pem"), TestPki.pem(caCert));
    ClusterEntry e = new ClusterEntry(3, "127.0.0.1", 50052, certFile, keyFile, caFile, "member");
    TransportException t =
        assertThrows(
            TransportException.class, () -> HttpTransport.open(e, TransportOptions.defaults()));
    assertEquals(TransportException.Kind.CONFIGURATION, t.kind());
    assertTrue(t.getMessage().contains("does not belong"), t.getMessage());
    assertTrue(t.getMessage().contains("LNHServerClientKey03"), t.getMessage());
  }

  @Test
  void toPem_roundTripsThroughTheParser() throws Exception {
    X509Certificate a = TestPki.selfSignedCa(TestPki.ecKeyPair(), "A");
    String pem = PemFiles.toPem("CERTIFICATE", a.getEncoded());
    assertTrue(
        pem.startsWith("-----BEGIN CERTIFICATE-----\n")
            && pem.endsWith("-----END CERTIFICATE-----\n"));
    assertEquals(a, PemFiles.parseCertificates(pem, "text").get(0));
  }
}
