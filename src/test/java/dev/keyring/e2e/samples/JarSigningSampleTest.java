package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringPrivateKey;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.pki.CertificateIssuingSample;
import dev.keyring.samples.signing.JarSigningSample;
import dev.keyring.samples.signing.JarSigningSample.ToolRun;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK's keytool and jarsigner, run as child processes, on a keyring of a member that runs in
 * this JVM. The provider's counters live in the children, so the proof that the keyring signed is
 * that the jar's signer certificate is the keyring's for that alias, and that the keyring's
 * non-extractable key for that alias makes signatures the certificate's public key verifies.
 */
class JarSigningSampleTest {
  private static final String ALIAS = "signer-ec";
  @TempDir static Path dir;
  static LocalCluster cluster;
  static Path slotFile;
  static JarSigningSample sample;
  static List<ToolRun> runs;
  static int sessionsBefore;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(JarSigningSample.KEYRING, JarSigningSample.PASSWORD);
    slotFile = cluster.writeSlotFile(JarSigningSample.KEYRING);
    sample =
        new JarSigningSample(
            cluster.clientConfig(),
            slotFile,
            Files.createDirectories(dir.resolve("work")),
            Duration.ofMinutes(3));
    sessionsBefore = cluster.cluster().member(0).openSessions();
    runs = sample.run(ALIAS);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static ToolRun step(String firstArg, String... more) {
    for (ToolRun r : runs) {
      if (r.command().contains(firstArg)
          && List.of(more).stream().allMatch(m -> r.command().contains(m))) {
        return r;
      }
    }
    throw new AssertionError("no step " + firstArg);
  }

  private static KeyStore keyring(KeyringProvider p) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", p);
    try (InputStream in = Files.newInputStream(slotFile)) {
      ks.load(in, JarSigningSample.PASSWORD.toCharArray());
    }
    return ks;
  }

  @Test
  void everyToolExitsZero_andSaysWhatItDid() {
    for (ToolRun r : runs) {
      assertEquals(0, r.exitCode(), String.join(" ", r.command()) + "\n" + r.output());
    }
    assertTrue(step("-list").output().contains("Your keystore contains 0 entries"));
    assertTrue(step("-list").output().contains("Keystore provider: Keyring"));
    assertTrue(
        step("-genkeypair").output().contains("Generating 256 bit EC (secp256r1) key pair"),
        step("-genkeypair").output());
    ToolRun listed = step("-list", "-v");
    assertTrue(listed.output().contains("Alias name: " + ALIAS), listed.output());
    assertTrue(listed.output().contains("Entry type: PrivateKeyEntry"), listed.output());
    assertTrue(listed.output().contains("Signature algorithm name: SHA256withECDSA"));
    ToolRun signed = step("-signedjar");
    assertTrue(signed.output().contains("jar signed."), signed.output());
    ToolRun verified = step("-verify");
    assertTrue(verified.output().contains("jar verified."), verified.output());
    assertTrue(verified.output().contains("Signed by \"CN=" + ALIAS + ", O=Keyring\""));
    assertTrue(verified.output().contains("Signature algorithm: SHA256withECDSA, 256-bit key"));
  }

  @Test
  void theJarsSignerCertificate_isTheKeyringsCertificateForTheAlias_andItsKeyIsOnTheKeyring()
      throws Exception {
    X509Certificate signer;
    try (JarFile jar = new JarFile(sample.signedJar(ALIAS).toFile(), true)) {
      JarEntry e = jar.getJarEntry("hello/hello.txt");
      try (InputStream in = jar.getInputStream(e)) {
        in.readAllBytes(); // signatures are checked while the entry is read
      }
      CodeSigner[] signers = e.getCodeSigners();
      assertNotNull(signers, "the entry is signed");
      assertEquals(1, signers.length);
      signer = (X509Certificate) signers[0].getSignerCertPath().getCertificates().get(0);
    }
    KeyringProvider p = new KeyringProvider(cluster.clientConfig());
    try {
      KeyStore ks = keyring(p);
      assertEquals(signer, ks.getCertificate(ALIAS));
      assertEquals(ALIAS, ks.getCertificateAlias(signer));
      PrivateKey key = (PrivateKey) ks.getKey(ALIAS, JarSigningSample.PASSWORD.toCharArray());
      assertInstanceOf(KeyringPrivateKey.class, key);
      assertNull(key.getEncoded(), "the private key never leaves the keyring");
      assertEquals(signer.getPublicKey(), ((KeyringPrivateKey) key).publicKey());
      // the keyring's key for the alias is the one the certificate names
      byte[] msg = "made on the keyring".getBytes(StandardCharsets.UTF_8);
      Signature s = Signature.getInstance("SHA256withECDSA", p);
      s.initSign(key);
      s.update(msg);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
      v.initVerify(signer.getPublicKey());
      v.update(msg);
      assertTrue(v.verify(sig));
    } finally {
      p.close();
    }
  }

  @Test
  void keytoolCertreq_isSignedByTheKeyringKey_andTheJdkVerifiesIt() throws Exception {
    String pem = Files.readString(sample.csrFile(ALIAS), StandardCharsets.US_ASCII);
    assertTrue(pem.startsWith("-----BEGIN NEW CERTIFICATE REQUEST-----"), pem);
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PKCS10CertificationRequest csr =
        new PKCS10CertificationRequest(Base64.getDecoder().decode(b64));
    assertEquals(
        new X500Principal("CN=" + ALIAS + ",O=Keyring"),
        new X500Principal(csr.getSubject().getEncoded()));
    assertTrue(CertificateIssuingSample.verifyCsr(csr));
  }

  @Test
  void keytoolWritesTheStoreBack_andTheSlotFileStillNamesTheKeyring() throws Exception {
    assertEquals(
        "slot=" + JarSigningSample.KEYRING + "\n",
        Files.readString(slotFile, StandardCharsets.UTF_8));
  }

  @Test
  void keytoolWithoutProviderName_generatesInSoftware_andTheKeyringImportsTheKey()
      throws Exception {
    ToolRun r =
        sample
            .keytool(
                "-genkeypair",
                "-alias",
                "imported-rsa",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=imported-rsa",
                "-validity",
                "30")
            .requireSuccess();
    assertTrue(r.output().contains("Generating 2,048 bit RSA key pair"), r.output());
    KeyringProvider p = new KeyringProvider(cluster.clientConfig());
    try {
      KeyStore ks = keyring(p);
      assertTrue(Collections.list(ks.aliases()).contains("imported-rsa"));
      PrivateKey key = (PrivateKey) ks.getKey("imported-rsa", null);
      assertInstanceOf(KeyringPrivateKey.class, key);
      assertEquals(
          "SHA256withRSA", ((X509Certificate) ks.getCertificate("imported-rsa")).getSigAlgName());
    } finally {
      p.close();
    }
    ToolRun signed =
        sample
            .jarsigner(
                "-signedjar",
                dir.resolve("work/app-rsa.jar").toString(),
                JarSigningSample.writeJar(dir.resolve("work/app2.jar")).toString(),
                "imported-rsa")
            .requireSuccess();
    assertTrue(signed.output().contains("jar signed."), signed.output());
    ToolRun verified = sample.verify(dir.resolve("work/app-rsa.jar")).requireSuccess();
    assertTrue(verified.output().contains("jar verified."), verified.output());
    assertTrue(verified.output().contains("SHA256withRSA, 2048-bit key"), verified.output());
  }

  @Test
  void jarsignerWithAWrongKeyPassword_fails() throws Exception {
    ToolRun r =
        sample.jarsigner(
            "-keypass",
            "not-the-password",
            "-signedjar",
            dir.resolve("work/x.jar").toString(),
            JarSigningSample.writeJar(dir.resolve("work/app3.jar")).toString(),
            ALIAS);
    assertNotEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("not a private key"), r.output());
  }

  @Test
  void theToolsLogOutWhenTheyExit_noSessionIsLeftOnTheMember() {
    assertEquals(
        sessionsBefore,
        cluster.cluster().member(0).openSessions(),
        "every keytool and jarsigner run logged out at exit");
  }

  @Test
  void jarsignerVerify_withTheKeyring_findsTheSignerAmongItsEntries() throws Exception {
    ToolRun r =
        sample.jarsigner("-verify", "-verbose", "-certs", sample.signedJar(ALIAS).toString());
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("(" + ALIAS + ")"), r.output());
    assertTrue(r.output().contains("k = at least one certificate was found in keystore"));
  }
}
