package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.testing.admin.AdminRestClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client registration over the admin API: the cluster CA signs a CSR, the certificate chains to the
 * CA and opens the crypto API over mutual TLS; listing shows the client; revocation shuts it out.
 */
class ClientRegistrationApiTest {
  @TempDir Path dir;
  private Member member;
  private AdminRestClient c;
  private String cluster;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    cluster = AdminTestSupport.provision(c);
  }

  @AfterEach
  void stop() {
    member.close();
  }

  static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static String csrPem(KeyPair kp, String cn) throws Exception {
    PKCS10CertificationRequest csr =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), kp.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(csr);
    }
    return w.toString();
  }

  static X509Certificate cert(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  private AdminRestClient.Reply register(String cn, String csr, String label, String monitorUser) {
    Map<String, Object> body = new HashMap<>();
    body.put("commonName", cn);
    body.put("csr", csr);
    if (label != null) {
      body.put("label", label);
    }
    if (monitorUser != null) {
      body.put("monitorUser", monitorUser);
    }
    return c.call("POST", "/api/clusters/" + cluster + "/clients")
        .as(ADMIN, ADMIN_PW)
        .json(body)
        .send();
  }

  static HttpClient mtls(PrivateKey key, X509Certificate cert, X509Certificate ca)
      throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("client", key, "pw".toCharArray(), new X509Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "pw".toCharArray());
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder()
        .sslContext(ctx)
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private static HttpResponse<String> health(HttpClient http, ClientRegistration.Response r)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("https://" + r.cryptoHost() + ":" + r.cryptoPort() + "/v1/health"))
            .timeout(Duration.ofSeconds(20))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void registration_issuesACertificateThatChainsToTheClusterCa_andOpensTheCryptoApi()
      throws Exception {
    KeyPair kp = ecKey();
    AdminRestClient.Reply reply = register("app-1", csrPem(kp, "app-1"), "app one", null);
    assertEquals(201, reply.status(), reply.body());
    ClientRegistration.Response r =
        WireJson.mapper().readValue(reply.body(), ClientRegistration.Response.class);
    X509Certificate cert = cert(r.certificate());
    X509Certificate ca = cert(r.caCertificate());

    assertEquals(member.appliance().pki().clusterCaCertificate(), ca);
    cert.verify(ca.getPublicKey());
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
    assertEquals("CN=app-1", cert.getSubjectX500Principal().getName());
    assertArrayEquals(kp.getPublic().getEncoded(), cert.getPublicKey().getEncoded());
    assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
    assertEquals(cluster, r.clusterId());
    assertEquals("127.0.0.1", r.cryptoHost());
    assertEquals(member.cryptoPort(), r.cryptoPort());
    assertEquals(member.appliance().defaultMemberName(), r.serverCommonName());

    // the certificate opens the crypto API over mutual TLS
    HttpResponse<String> ok = health(mtls(kp.getPrivate(), cert, ca), r);
    assertEquals(200, ok.statusCode(), ok.body());

    JsonNode listed =
        c.call("GET", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data");
    assertEquals(1, listed.size());
    String serial = cert.getSerialNumber().toString(16);
    assertEquals(serial, listed.get(0).path("serial").asText());
    assertEquals("app-1", listed.get(0).path("commonName").asText());
    assertEquals("app one", listed.get(0).path("label").asText());
    assertFalse(listed.get(0).path("revoked").asBoolean());

    // revocation: listed as revoked, refused at the next handshake
    c.call("DELETE", "/api/clusters/" + cluster + "/clients/" + serial)
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(204);
    listed =
        c.call("GET", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data");
    assertTrue(listed.get(0).path("revoked").asBoolean());
    assertTrue(listed.get(0).hasNonNull("revokedAt"));
    assertTrue(member.appliance().pki().isRevoked(new BigInteger(serial, 16)));
    HttpClient fresh = mtls(kp.getPrivate(), cert, ca);
    assertThrows(IOException.class, () -> health(fresh, r));
    // revoking again changes nothing; an unknown serial is 404
    c.call("DELETE", "/api/clusters/" + cluster + "/clients/" + serial)
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(204);
    assertEquals(
        404,
        c.call("DELETE", "/api/clusters/" + cluster + "/clients/abcdef")
            .as(ADMIN, ADMIN_PW)
            .send()
            .status());
  }

  @Test
  void registrationsKeptOnOneMemberByAnEarlierVersion_moveIntoTheClusterState_revokedStayRevoked()
      throws Exception {
    // an earlier version kept registrations in the member's own hsm_state row
    dev.keyring.store.StoreConfig cfg = member.appliance().store().config();
    member.close();
    byte[] legacy =
        ("{\"clients\":["
                + "{\"serial\":\"1f2e3d\",\"commonName\":\"old-client\","
                + "\"registeredAt\":\"2025-01-01T00:00:00Z\"},"
                + "{\"serial\":\"4c5b6a\",\"commonName\":\"old-revoked\","
                + "\"registeredAt\":\"2025-01-01T00:00:00Z\","
                + "\"revokedAt\":\"2025-02-01T00:00:00Z\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    try (dev.keyring.store.KeyringStore store = dev.keyring.store.KeyringStore.open(cfg)) {
      store.write(
          tx -> {
            tx.putHsmState(ClusterServiceState.CLIENTS_KEY, legacy);
            return null;
          });
    }
    member = AdminTestSupport.start(dir);
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    // listed before they move
    assertEquals(2, clients().size());

    KeyPair kp = ecKey();
    assertEquals(201, register("new-client", csrPem(kp, "new-client"), null, null).status());

    JsonNode listed = clients();
    assertEquals(3, listed.size(), listed.toString());
    assertEquals(
        3, member.appliance().store().clusterValues(RegisteredClients.PREFIX).size(), "moved");
    for (JsonNode n : listed) {
      assertEquals(
          n.path("commonName").asText().equals("old-revoked"), n.path("revoked").asBoolean());
    }
    assertTrue(member.appliance().pki().isRevoked(new BigInteger("4c5b6a", 16)));
    assertFalse(member.appliance().pki().isRevoked(new BigInteger("1f2e3d", 16)));
    // the old client is now revoked like any other
    c.call("DELETE", "/api/clusters/" + cluster + "/clients/1f2e3d")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(204);
    assertTrue(member.appliance().pki().isRevoked(new BigInteger("1f2e3d", 16)));
  }

  private JsonNode clients() {
    return c.call("GET", "/api/clusters/" + cluster + "/clients")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(200)
        .json()
        .path("data");
  }

  @Test
  void registration_refusesBadRequests_andNeedsTheAdminRole() throws Exception {
    KeyPair kp = ecKey();
    AdminRestClient.Reply mismatch = register("app-2", csrPem(kp, "someone-else"), null, null);
    assertEquals(400, mismatch.status());
    assertTrue(mismatch.message().contains("CN"), mismatch.body());
    assertEquals(400, register("app-2", "not a pem", null, null).status());
    assertEquals(
        400,
        register(
                "app-2",
                "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
                null,
                null)
            .status());
    assertEquals(400, register("app-2", csrPem(kp, "app-2"), null, "nobody").status());
    AdminTestSupport.setPassword(c, "operator", "operator-pw-1");
    AdminRestClient.Reply notMonitor = register("app-2", csrPem(kp, "app-2"), null, "operator");
    assertEquals(400, notMonitor.status());
    assertTrue(notMonitor.message().contains("monitor"), notMonitor.body());
    AdminRestClient.Reply byOperator =
        c.call("POST", "/api/clusters/" + cluster + "/clients")
            .as("operator", "operator-pw-1")
            .json(Map.of("commonName", "app-2", "csr", csrPem(kp, "app-2")))
            .send();
    assertEquals(403, byOperator.status());
    assertEquals(
        0,
        c.call("GET", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data")
            .size());

    // with the default monitor user
    AdminRestClient.Reply withMonitor = register("app-2", csrPem(kp, "app-2"), null, "monitor");
    assertEquals(201, withMonitor.status(), withMonitor.body());
    JsonNode listed =
        c.call("GET", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data");
    assertEquals("monitor", listed.get(0).path("monitorUser").asText());
    // registration persists across a restart of the member
    member.close();
    member = AdminTestSupport.start(dir);
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    assertEquals(
        1,
        c.call("GET", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data")
            .size());
  }
}
