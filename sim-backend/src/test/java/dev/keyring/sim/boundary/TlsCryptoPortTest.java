package dev.keyring.sim.boundary;

import static dev.keyring.sim.boundary.PkiTestSupport.clientContext;
import static dev.keyring.sim.boundary.PkiTestSupport.csr;
import static dev.keyring.sim.boundary.PkiTestSupport.ec;
import static dev.keyring.sim.boundary.PkiTestSupport.handshake;
import static dev.keyring.sim.boundary.PkiTestSupport.rsa;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.boundary.PkiTestSupport.ForeignCa;
import dev.keyring.sim.boundary.PkiTestSupport.Member;
import dev.keyring.sim.boundary.PkiTestSupport.Outcome;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyManagementException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real TLS handshakes over loopback against the crypto API's server context: mutual TLS with a
 * client certificate the cluster CA issued from a CSR succeeds on TLS 1.3 and 1.2; certificates of
 * another CA, revoked ones, ones without clientAuth, and no certificate at all are refused at the
 * handshake with a message that names the reason.
 */
class TlsCryptoPortTest {
  private static final String MEMBER = "member-1";

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

  private SSLContext client(KeyPair kp, String cn) throws Exception {
    X509Certificate cert = pki.issueClientCertificate(csr(kp, "CN=" + cn), cn, Duration.ofHours(1));
    return clientContext(kp.getPrivate(), new X509Certificate[] {cert}, ca);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void clientWithCertificateIssuedFromItsCsr_completesMutualTls(String protocol) throws Exception {
    for (KeyPair kp : List.of(ec("secp256r1"), rsa(2048))) {
      SSLContext server = pki.cryptoServerContext(MEMBER);
      Outcome o = handshake(server, client(kp, "app-1"), protocol, true, "127.0.0.1");
      assertTrue(o.succeeded(), () -> "handshake failed: " + o);
      assertEquals(protocol, o.protocol());
      assertArrayEquals(
          kp.getPublic().getEncoded(), o.clientSeenByServer().getPublicKey().getEncoded());
      assertEquals(pki.memberCertificate(MEMBER), o.serverSeenByClient());
      assertEquals("CN=" + MEMBER, o.serverSeenByClient().getSubjectX500Principal().getName());
    }
  }

  @Test
  void serverCertificate_matchesTheHostNameLocalhostToo() throws Exception {
    Outcome o =
        handshake(
            pki.cryptoServerContext(MEMBER),
            client(ec("secp256r1"), "app-1"),
            "TLSv1.3",
            true,
            "localhost");
    assertTrue(o.succeeded(), () -> "handshake failed: " + o);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void clientCertificateOfAnotherCa_isRefusedAtTheHandshake(String protocol) throws Exception {
    ForeignCa other = new ForeignCa();
    KeyPair kp = ec("secp256r1");
    X509Certificate foreign = other.issueClient(kp, "app-1");
    Outcome o =
        handshake(
            pki.cryptoServerContext(MEMBER),
            clientContext(kp.getPrivate(), new X509Certificate[] {foreign, other.ca}, ca),
            protocol,
            true,
            "127.0.0.1");
    assertFalse(o.succeeded(), "a certificate of another CA must not get in");
    assertNotNull(o.clientError(), "the client sees the refusal");
    assertTrue(o.serverMessages().contains("is not trusted"), o::serverMessages);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void revokedClientCertificate_isRefusedAtTheNextHandshake(String protocol) throws Exception {
    KeyPair kp = ec("secp256r1");
    X509Certificate cert =
        pki.issueClientCertificate(csr(kp, "CN=app-1"), "app-1", Duration.ofHours(1));
    SSLContext server = pki.cryptoServerContext(MEMBER);
    Outcome before =
        handshake(
            server,
            clientContext(kp.getPrivate(), new X509Certificate[] {cert}, ca),
            protocol,
            true,
            "127.0.0.1");
    assertTrue(before.succeeded(), () -> "handshake failed: " + before);

    assertTrue(pki.revoke(cert.getSerialNumber()));

    // the same server context, a new client session
    Outcome after =
        handshake(
            server,
            clientContext(kp.getPrivate(), new X509Certificate[] {cert}, ca),
            protocol,
            true,
            "127.0.0.1");
    assertFalse(after.succeeded(), "a revoked certificate must not get in");
    assertNotNull(after.clientError());
    assertTrue(after.serverMessages().contains("was revoked"), after::serverMessages);
    assertTrue(
        after.serverMessages().contains(cert.getSerialNumber().toString(16)),
        after::serverMessages);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void revokedClientCertificate_cannotResumeASessionEstablishedBeforeTheRevocation(String protocol)
      throws Exception {
    KeyPair kp = ec("secp256r1");
    X509Certificate cert =
        pki.issueClientCertificate(csr(kp, "CN=app-1"), "app-1", Duration.ofHours(1));
    SSLContext server = pki.cryptoServerContext(MEMBER);
    // one client context: its session cache offers the earlier session to the same host and port
    SSLContext client = clientContext(kp.getPrivate(), new X509Certificate[] {cert}, ca);
    Outcome full = handshake(server, client, protocol, true, "127.0.0.1", 0);
    assertTrue(full.succeeded(), () -> "handshake failed: " + full);
    int port = full.port();
    Outcome resumed = handshake(server, client, protocol, true, "127.0.0.1", port);
    assertTrue(resumed.succeeded(), () -> "handshake failed: " + resumed);
    assertEquals(
        full.sessionCreationTime(),
        resumed.sessionCreationTime(),
        "the control: without a revocation the session is resumed");

    // revoking another certificate also renews the sessions: the client gets in with a full
    // handshake (a new session)
    pki.revoke(BigInteger.valueOf(12345));
    Outcome renewed = handshake(server, client, protocol, true, "127.0.0.1", port);
    assertTrue(renewed.succeeded(), () -> "handshake failed: " + renewed);
    assertNotEquals(full.sessionCreationTime(), renewed.sessionCreationTime());

    pki.revoke(cert.getSerialNumber());
    Outcome after = handshake(server, client, protocol, true, "127.0.0.1", port);
    assertFalse(after.succeeded(), "a revoked certificate must not get in by resumption");
    assertTrue(after.serverMessages().contains("was revoked"), after::serverMessages);
  }

  @Test
  void sslEnginesMadeAfterARevocation_belongToFreshSessionContexts() throws Exception {
    SSLContext server = pki.cryptoServerContext(MEMBER);
    server.getServerSessionContext().setSessionTimeout(1234);
    server.getServerSessionContext().setSessionCacheSize(77);
    var before = server.getServerSessionContext();
    assertEquals(before, server.getServerSessionContext(), "stable without revocations");
    pki.revoke(BigInteger.ONE);
    var after = server.getServerSessionContext();
    assertNotEquals(before, after);
    assertEquals(1234, after.getSessionTimeout(), "settings carry over");
    assertEquals(77, after.getSessionCacheSize());
    assertArrayEquals(
        new String[] {"TLSv1.3", "TLSv1.2"}, server.createSSLEngine().getEnabledProtocols());
  }

  @Test
  void certificateOfTheClusterCaWithoutClientAuth_isRefused() throws Exception {
    // issued by the cluster CA itself, serverAuth only
    KeyPair kp = ec("secp256r1");
    PrivateKey caKey =
        pki.identities()
            .openKey(
                SealedIdentities.CLUSTER_CA,
                pki.identities().read(SealedIdentities.CLUSTER_CA).orElseThrow(),
                true);
    java.time.Instant now = java.time.Instant.now();
    X509Certificate serverOnly =
        new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
            .getCertificate(
                new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                        ca,
                        BigInteger.valueOf(now.toEpochMilli()),
                        java.util.Date.from(now.minus(Duration.ofDays(1))),
                        java.util.Date.from(now.plus(Duration.ofDays(1))),
                        new javax.security.auth.x500.X500Principal("CN=server-only"),
                        kp.getPublic())
                    .addExtension(
                        org.bouncycastle.asn1.x509.Extension.extendedKeyUsage,
                        false,
                        new org.bouncycastle.asn1.x509.ExtendedKeyUsage(
                            org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_serverAuth))
                    .build(
                        new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(
                                "SHA384withECDSA")
                            .build(caKey)));
    Outcome o =
        handshake(
            pki.cryptoServerContext(MEMBER),
            clientContext(kp.getPrivate(), new X509Certificate[] {serverOnly}, ca),
            "TLSv1.3",
            true,
            "127.0.0.1");
    assertFalse(o.succeeded());
    assertTrue(o.serverMessages().contains("lacks the clientAuth"), o::serverMessages);
  }

  @Test
  void memberCertificate_authenticatesToAnotherMember() throws Exception {
    // members call each other's crypto API with their member certificates
    X509Certificate memberCert = pki.memberCertificate(MEMBER);
    PrivateKey memberKey =
        pki.identities()
            .openKey(
                SealedIdentities.MEMBER,
                pki.identities().read(SealedIdentities.MEMBER).orElseThrow(),
                false);
    Outcome o =
        handshake(
            pki.cryptoServerContext(MEMBER),
            clientContext(memberKey, new X509Certificate[] {memberCert}, ca),
            "TLSv1.3",
            true,
            "127.0.0.1");
    assertTrue(o.succeeded(), o::serverMessages);
  }

  @Test
  void clientWithoutCertificate_isRefused() throws Exception {
    Outcome o =
        handshake(
            pki.cryptoServerContext(MEMBER),
            clientContext(null, null, ca),
            "TLSv1.3",
            true,
            "127.0.0.1");
    assertFalse(o.succeeded());
    assertNotNull(o.serverError());
  }

  @Test
  void cryptoServerContext_namesOnlyTheClusterCa_andEnablesOnlyTls13And12() throws Exception {
    SSLContext server = pki.cryptoServerContext(MEMBER);
    assertArrayEquals(
        new String[] {"TLSv1.3", "TLSv1.2"}, server.getDefaultSSLParameters().getProtocols());
    assertArrayEquals(
        new String[] {"TLSv1.3", "TLSv1.2"}, server.createSSLEngine().getEnabledProtocols());
    try (SSLServerSocket ss =
        (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0)) {
      assertArrayEquals(new String[] {"TLSv1.3", "TLSv1.2"}, ss.getEnabledProtocols());
    }
    try (SSLSocket s = (SSLSocket) server.getSocketFactory().createSocket()) {
      assertArrayEquals(new String[] {"TLSv1.3", "TLSv1.2"}, s.getEnabledProtocols());
    }
    assertThrows(KeyManagementException.class, () -> server.init(null, null, null));
  }

  @Test
  void cryptoServerContext_withoutClusterCa_isRefusedClearly() {
    try (Member fresh = Member.create(dir.resolve("fresh"))) {
      var e =
          assertThrows(
              dev.keyring.protocol.HsmException.class,
              () -> fresh.pki().cryptoServerContext(MEMBER));
      assertEquals(dev.keyring.protocol.ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(e.getMessage().contains("no cluster CA"), e.getMessage());
    }
  }
}
