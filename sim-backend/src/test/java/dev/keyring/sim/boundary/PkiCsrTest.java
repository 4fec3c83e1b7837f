package dev.keyring.sim.boundary;

import static dev.keyring.sim.boundary.PkiTestSupport.csr;
import static dev.keyring.sim.boundary.PkiTestSupport.ec;
import static dev.keyring.sim.boundary.PkiTestSupport.rsa;
import static dev.keyring.sim.boundary.PkiTestSupport.validate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.PkiTestSupport.Member;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates from CSRs: RSA-2048 and EC requests come back as clientAuth certificates that
 * chain to the cluster CA; a CN other than the expected one, a weak or unsupported key, a forged
 * signature and bytes that are not PKCS#10 are refused with CKR_ARGUMENTS_BAD and a clear message
 * (never a raw BouncyCastle exception); revocation is kept across a restart.
 */
class PkiCsrTest {
  @TempDir Path dir;
  private Member member;
  private MemberPki pki;
  private X509Certificate ca;

  @BeforeEach
  void setUp() {
    member = Member.create(dir);
    pki = member.pki();
    ca = pki.createClusterCa(member.clusterId, "pki-cluster");
  }

  @AfterEach
  void tearDown() {
    member.close();
  }

  @Test
  void rsa2048AndEcCsrs_becomeClientCertificatesThatChainToTheClusterCa() throws Exception {
    for (KeyPair kp : List.of(rsa(2048), ec("secp256r1"), ec("secp384r1"), ec("secp521r1"))) {
      Instant before = Instant.now();
      X509Certificate c =
          pki.issueClientCertificate(csr(kp, "CN=app-7"), "app-7", Duration.ofHours(12));
      validate(List.of(c), ca);
      validate(List.of(c, ca), ca);
      assertEquals("CN=app-7", c.getSubjectX500Principal().getName());
      assertEquals(ca.getSubjectX500Principal(), c.getIssuerX500Principal());
      assertArrayEquals(kp.getPublic().getEncoded(), c.getPublicKey().getEncoded());
      assertEquals(List.of("1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
      assertEquals(-1, c.getBasicConstraints());
      assertTrue(c.getKeyUsage()[0], "digitalSignature");
      Duration backdate = Duration.between(c.getNotBefore().toInstant(), before);
      assertTrue(backdate.toHours() >= 23 && backdate.toHours() <= 24, backdate::toString);
      Duration ahead = Duration.between(before, c.getNotAfter().toInstant());
      assertTrue(ahead.toMinutes() >= 12 * 60 - 1 && ahead.toMinutes() <= 12 * 60 + 1);
      assertFalse(pki.isRevoked(c.getSerialNumber()));
    }
  }

  @Test
  void serialNumbers_areRandomAndAbout128Bits() throws Exception {
    KeyPair kp = ec("secp256r1");
    byte[] req = csr(kp, "CN=app");
    Set<BigInteger> serials = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      BigInteger s = pki.issueClientCertificate(req, "app", Duration.ofHours(1)).getSerialNumber();
      assertTrue(s.signum() > 0 && s.bitLength() <= 128 && s.bitLength() > 64, s::toString);
      serials.add(s);
    }
    assertEquals(20, serials.size());
  }

  @Test
  void csrWithAnotherCn_isRefused() throws Exception {
    HsmException e =
        refused(
            () ->
                pki.issueClientCertificate(
                    csr(ec("secp256r1"), "CN=mallory"), "app-7", Duration.ofHours(1)));
    assertTrue(e.getMessage().contains("'mallory'"), e.getMessage());
    assertTrue(e.getMessage().contains("'app-7'"), e.getMessage());
    HsmException two =
        refused(
            () ->
                pki.issueClientCertificate(
                    csr(ec("secp256r1"), "CN=app-7,CN=other"), "app-7", Duration.ofHours(1)));
    assertTrue(two.getMessage().contains("exactly one CN"), two.getMessage());
    HsmException none =
        refused(
            () ->
                pki.issueClientCertificate(
                    csr(ec("secp256r1"), "O=Example"), "app-7", Duration.ofHours(1)));
    assertTrue(none.getMessage().contains("exactly one CN"), none.getMessage());
  }

  @Test
  void weakOrUnsupportedKeys_areRefused() throws Exception {
    HsmException small =
        refused(() -> pki.issueClientCertificate(csr(rsa(1024), "CN=a"), "a", Duration.ofHours(1)));
    assertTrue(small.getMessage().contains("at least 2048 bits"), small.getMessage());
    assertTrue(small.getMessage().contains("1024"), small.getMessage());

    KeyPair koblitz = bcEc("secp256k1");
    HsmException curve =
        refused(() -> pki.issueClientCertificate(csrBc(koblitz, "SHA256withECDSA"), "a", hour()));
    assertTrue(curve.getMessage().contains("curve"), curve.getMessage());

    KeyPair ed =
        KeyPairGenerator.getInstance(
                "Ed25519", new org.bouncycastle.jce.provider.BouncyCastleProvider())
            .generateKeyPair();
    HsmException edKey =
        refused(() -> pki.issueClientCertificate(csrBc(ed, "Ed25519"), "a", hour()));
    assertTrue(edKey.getMessage().contains("is not accepted"), edKey.getMessage());
  }

  @Test
  void csrSignedWithSha1_isRefused() throws Exception {
    KeyPair kp = rsa(2048);
    HsmException e =
        refused(() -> pki.issueClientCertificate(csrBc(kp, "SHA1withRSA"), "a", hour()));
    assertTrue(e.getMessage().contains("signature algorithm"), e.getMessage());
  }

  @Test
  void csrWhoseSignatureDoesNotVerify_isRefused() throws Exception {
    byte[] req = csr(ec("secp256r1"), "CN=a");
    req[req.length - 5] ^= 0x01; // inside the signature value
    HsmException e = refused(() -> pki.issueClientCertificate(req, "a", hour()));
    assertTrue(
        e.getMessage().contains("signature") && e.getMessage().startsWith("CKR_ARGUMENTS_BAD"),
        e.getMessage());
  }

  @Test
  void bytesThatAreNotPkcs10_areRefusedAsInvalidCsr_neverWithARawBouncyCastleException()
      throws Exception {
    byte[] good = csr(ec("secp256r1"), "CN=a");
    List<byte[]> garbage =
        List.of(
            new byte[0],
            new byte[] {0x30},
            new byte[] {0x30, 0x03, 0x02, 0x01, 0x00},
            "-----BEGIN CERTIFICATE REQUEST-----".getBytes(),
            Arrays.copyOf(good, good.length / 2),
            ca.getEncoded(),
            new byte[1 << 17]);
    for (byte[] g : garbage) {
      HsmException e = refused(() -> pki.issueClientCertificate(g, "a", hour()));
      assertTrue(e.detail().startsWith("the CSR is not valid PKCS#10: "), () -> e.getMessage());
      assertNull(e.getCause(), "no library exception is carried along");
    }
    HsmException nul = refused(() -> pki.issueClientCertificate(null, "a", hour()));
    assertTrue(nul.detail().startsWith("the CSR is not valid PKCS#10: "), nul.getMessage());
  }

  @Test
  void badValidityOrMissingCn_isRefused() throws Exception {
    byte[] req = csr(ec("secp256r1"), "CN=a");
    refused(() -> pki.issueClientCertificate(req, "a", Duration.ZERO));
    refused(() -> pki.issueClientCertificate(req, "a", Duration.ofHours(-1)));
    refused(() -> pki.issueClientCertificate(req, "a", Duration.ofDays(3651)));
    refused(() -> pki.issueClientCertificate(req, "a", null));
    refused(() -> pki.issueClientCertificate(req, "", hour()));
    refused(() -> pki.issueClientCertificate(req, null, hour()));
  }

  @Test
  void clientCertificate_neverOutlivesTheCa() throws Exception {
    X509Certificate c =
        pki.issueClientCertificate(csr(ec("secp256r1"), "CN=a"), "a", Duration.ofDays(3650));
    assertFalse(c.getNotAfter().after(ca.getNotAfter()));
  }

  @Test
  void issuingWithoutClusterCa_isRefusedClearly() throws Exception {
    try (Member fresh = Member.create(dir.resolve("fresh"))) {
      HsmException e =
          assertThrows(
              HsmException.class,
              () -> fresh.pki().issueClientCertificate(csr(ec("secp256r1"), "CN=a"), "a", hour()));
      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
    }
  }

  @Test
  void revocation_isPersistedSortedAndSurvivesReopen() throws Exception {
    X509Certificate a = pki.issueClientCertificate(csr(ec("secp256r1"), "CN=a"), "a", hour());
    X509Certificate b = pki.issueClientCertificate(csr(ec("secp256r1"), "CN=b"), "b", hour());
    assertTrue(pki.revoke(b.getSerialNumber()));
    assertTrue(pki.revoke(a.getSerialNumber()));
    assertFalse(pki.revoke(a.getSerialNumber()), "already revoked");
    assertTrue(pki.isRevoked(a.getSerialNumber()));
    assertFalse(pki.isRevoked(BigInteger.TEN));
    assertFalse(pki.isRevoked(null));
    List<BigInteger> sorted =
        a.getSerialNumber().compareTo(b.getSerialNumber()) < 0
            ? List.of(a.getSerialNumber(), b.getSerialNumber())
            : List.of(b.getSerialNumber(), a.getSerialNumber());
    assertEquals(sorted, pki.revokedSerials());
    String stored = new String(member.store.hsmState(RevocationList.ROW).orElseThrow(), "US-ASCII");
    assertEquals(sorted.get(0).toString(16) + "\n" + sorted.get(1).toString(16) + "\n", stored);
    assertEquals(
        ResultCode.CKR_ARGUMENTS_BAD,
        assertThrows(HsmException.class, () -> pki.revoke(BigInteger.ZERO)).code());

    member.close();
    member = member.reopen();
    pki = member.pki();
    assertEquals(sorted, pki.revokedSerials());
    assertTrue(pki.isRevoked(a.getSerialNumber()));
    assertNotEquals(a.getSerialNumber(), b.getSerialNumber());
  }

  // ---------------------------------------------------------------- helpers

  private static Duration hour() {
    return Duration.ofHours(1);
  }

  private static HsmException refused(Executable call) {
    HsmException e = assertThrows(HsmException.class, call);
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code(), e.getMessage());
    return e;
  }

  private static KeyPair bcEc(String curve) throws Exception {
    KeyPairGenerator g =
        KeyPairGenerator.getInstance(
            "EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
    g.initialize(new java.security.spec.ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private static byte[] csrBc(KeyPair kp, String alg) throws Exception {
    return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=a"), kp.getPublic())
        .build(
            new JcaContentSignerBuilder(alg)
                .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                .build(kp.getPrivate()))
        .getEncoded();
  }
}
