package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.testing.admin.Provisioning;
import dev.keyring.testing.cluster.ClusterHarness;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client registrations and revocations hold on every member (issue 12, F1), replayed as the probe
 * did, with members as their own JVMs: a client registered through member 0 and revoked through
 * member 1 can no longer open a session, log in, sign or generate a key through member 1 (nor
 * member 0), its open sessions are gone; a client registered through member 1 is listed on member
 * 0; a member that was down during a revocation never serves the revoked client once it is back.
 * Each step prints what the client got before and after.
 */
@Timeout(600)
class ReplicatedRevocationTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final Duration SETTLE = Duration.ofSeconds(40);
  private static final byte[] DATA = "probe".getBytes(StandardCharsets.UTF_8);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void revokedThroughTheOtherMember_opensNoSession_logsInSignsGeneratesNowhere_andListsMatch(
      @TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 2, 2)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      // member 1 alone in its affinity group: the client, preferring that group, goes through it
      ClusterHarness.ok(
          h.member(0),
          "cluster",
          "member",
          "config",
          "-memberid",
          h.localMemberId(1),
          "-group",
          "probe");
      Path confA = h.registerClient(0, "client-a", dir.resolve("a").resolve("Chrystoki.conf"));
      TransportOptions viaMember1 = TransportOptions.builder().affinityGroup("probe").build();

      try (KeyringClient a = KeyringClient.open(ClientConfig.read(confA), 0, viaMember1)) {
        KeyringChannel s = a.openSession("app1");
        KeyringSetup.initialize(s, INITIAL, PASSWORD);
        s.login(Role.KRCO, PASSWORD);
        KeyringKeyPair kp =
            s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
        long key = kp.privateKey().handle();
        assertTrue(s.sign(key, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA).length > 0);
        KeyringChannel idle = a.openSession("app1");
        int before = h.member(1).openSessions();
        assertTrue(before >= 2, "the client's sessions are on member 1: " + before);
        System.out.printf(
            "revocation probe, before: client A (registered through member 0) opened sessions,"
                + " logged in, generated and signed through member 1 (%d sessions open there)%n",
            before);

        // revoked through member 1, which lists the client member 0 registered: no 404
        String serial = serialOf(h, 1, "client-a");
        int status =
            h.member(1)
                .rest()
                .call("DELETE", "/api/clusters/" + h.clusterId() + "/clients/" + serial)
                .as(Provisioning.ADMIN, Provisioning.ADMIN_PW)
                .send()
                .status();
        assertEquals(204, status, "revoking through member 1");

        assertEquals(0, h.member(1).openSessions(), "the revoked client's sessions are closed");
        assertEquals(0, h.member(0).openSessions());
        String signed =
            refusal(() -> s.sign(key, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA));
        String generated =
            refusal(
                () ->
                    s.generateKeyPair(
                        KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty()));
        String loggedIn = refusal(() -> idle.login(Role.KRCO, PASSWORD));
        String opened = refusal(() -> a.openSession("app1"));
        System.out.printf(
            "revocation probe, after revoking through member 1 (status %d): sign refused (%s);"
                + " generate refused (%s); login refused (%s); open session refused (%s)%n",
            status, signed, generated, loggedIn, opened);
      }
      String fresh =
          refusal(
              () -> {
                try (KeyringClient again =
                        KeyringClient.open(ClientConfig.read(confA), 0, viaMember1);
                    KeyringChannel s = again.openSession("app1")) {
                  s.login(Role.KRCO, PASSWORD);
                }
              });
      System.out.printf("revocation probe, a new client with the revoked certificate: %s%n", fresh);
      assertTrue(revoked(h, 0, "client-a"), "listed revoked on member 0");

      // registered through member 1, listed on member 0, and served
      Path confB = h.registerClient(1, "client-b", dir.resolve("b").resolve("Chrystoki.conf"));
      assertNotNull(serialOf(h, 0, "client-b"), "registered through member 1, listed on member 0");
      try (KeyringClient b = KeyringClient.open(ClientConfig.read(confB), 0);
          KeyringChannel s = b.openSession("app1")) {
        s.login(Role.KRCO, PASSWORD);
        assertEquals(16, s.random(16).length);
      }
      System.out.println(
          "revocation probe: client B registered through member 1 is listed on member 0 and"
              + " served");
    }
  }

  @Test
  void memberDownDuringARevocation_neverServesTheRevokedClientOnceBack(@TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      KeyPair key = ecKey();
      JsonNode reg =
          h.member(0)
              .rest()
              .call("POST", "/api/clusters/" + h.clusterId() + "/clients")
              .as(Provisioning.ADMIN, Provisioning.ADMIN_PW)
              .json(Map.of("commonName", "client-a", "csr", csrPem(key, "client-a")))
              .send()
              .expect(201)
              .json();
      X509Certificate cert = cert(reg.path("certificate").asText());
      X509Certificate ca = cert(reg.path("caCertificate").asText());
      String serial = cert.getSerialNumber().toString(16);
      ClusterHarness.await(
          "member 2 lists the client", SETTLE, () -> serialOfOrNull(h, 2, "client-a") != null);
      assertEquals(200, openSession(key, cert, ca, h.member(2).cryptoPort()).statusCode());

      h.member(2).kill();
      assertEquals(
          204,
          h.member(0)
              .rest()
              .call("DELETE", "/api/clusters/" + h.clusterId() + "/clients/" + serial)
              .as(Provisioning.ADMIN, Provisioning.ADMIN_PW)
              .send()
              .status(),
          "revoked through member 0 while member 2 is down (members 0 and 1 are a majority)");
      h.member(2).restart();

      // from the moment member 2's crypto API listens until it lists the revocation, and after,
      // the revoked client is never served there
      int refusedBehind = 0;
      int refusedHandshake = 0;
      int served = 0;
      long until = System.nanoTime() + SETTLE.toNanos();
      int afterRevokedSeen = 0;
      while (afterRevokedSeen < 20) {
        if (System.nanoTime() > until) {
          throw new IllegalStateException("member 2 never listed the revocation");
        }
        int port = h.member(2).cryptoPort();
        if (port <= 0) {
          Thread.sleep(10);
          continue;
        }
        try {
          HttpResponse<String> r = openSession(key, cert, ca, port);
          if (r.statusCode() == 200) {
            served++;
          } else {
            assertTrue(r.body().contains("CKR_MEMBER_BEHIND"), r.body());
            refusedBehind++;
          }
        } catch (IOException e) {
          refusedHandshake++;
        }
        if (afterRevokedSeen > 0 || revoked(h, 2, "client-a")) {
          afterRevokedSeen++;
        }
      }
      System.out.printf(
          "revocation while away: after member 2's restart the revoked client was served %d"
              + " times; refused %d times while member 2 caught up, %d times at the handshake%n",
          served, refusedBehind, refusedHandshake);
      assertEquals(0, served, "a member back from away served a client revoked meanwhile");
      assertTrue(refusedHandshake > 0);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static String refusal(org.junit.jupiter.api.function.Executable call) {
    Throwable t = assertThrows(Throwable.class, call);
    String m = String.valueOf(t.getMessage());
    return m.length() > 160 ? m.substring(0, 160) + "..." : m;
  }

  private static JsonNode clients(ClusterHarness h, int member) {
    return h.member(member)
        .rest()
        .call("GET", "/api/clusters/" + h.clusterId() + "/clients")
        .as(Provisioning.ADMIN, Provisioning.ADMIN_PW)
        .send()
        .expect(200)
        .json()
        .path("data");
  }

  private static String serialOfOrNull(ClusterHarness h, int member, String commonName) {
    for (JsonNode c : clients(h, member)) {
      if (c.path("commonName").asText().equals(commonName)) {
        return c.path("serial").asText();
      }
    }
    return null;
  }

  private static String serialOf(ClusterHarness h, int member, String commonName) {
    String s = serialOfOrNull(h, member, commonName);
    assertNotNull(s, commonName + " is not listed on member " + member);
    return s;
  }

  private static boolean revoked(ClusterHarness h, int member, String commonName) {
    for (JsonNode c : clients(h, member)) {
      if (c.path("commonName").asText().equals(commonName) && c.path("revoked").asBoolean()) {
        return true;
      }
    }
    return false;
  }

  private static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static String csrPem(KeyPair kp, String cn) throws Exception {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(
          new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), kp.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
    }
    return w.toString();
  }

  private static X509Certificate cert(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  /** Opens a session on keyring app1 at {@code port}, on a new mutual-TLS connection. */
  private static HttpResponse<String> openSession(
      KeyPair key, X509Certificate cert, X509Certificate ca, int port) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("client", key.getPrivate(), "pw".toCharArray(), new X509Certificate[] {cert});
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
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(ctx)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    return http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/sessions"))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofByteArray(
                    JSON.writeValueAsBytes(Map.of("keyring", "app1"))))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
