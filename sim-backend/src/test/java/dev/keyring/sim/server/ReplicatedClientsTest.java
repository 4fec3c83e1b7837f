package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.testing.admin.AdminRestClient;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client registrations and revocations are cluster state: two real members in this JVM (Jetty,
 * mutual TLS, H2 stores), the second joined through the first's admin API. A client registered
 * through one member is listed on the other and opens sessions on both; revoked through the other,
 * it is refused on both at its next request, its open sessions closed and its connections cut.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class ReplicatedClientsTest {
  private static final String KEYRING = "shared";

  @TempDir Path dir;
  private Member m0;
  private Member m1;
  private AdminRestClient a0;
  private AdminRestClient a1;
  private String cluster;

  @BeforeEach
  void start() throws Exception {
    m0 = AdminTestSupport.start(dir.resolve("m0"));
    a0 = new AdminRestClient(m0.adminPort(), m0.adminCertificate());
    cluster = AdminTestSupport.provision(a0);
    m1 = AdminTestSupport.start(dir.resolve("m1"));
    a1 = new AdminRestClient(m1.adminPort(), m1.adminCertificate());
    join(a1, m0, cluster);
    awaitCaughtUp(m1);
    m0.appliance()
        .keyrings()
        .createKeyrings(AdminTestSupport.CO, KEYRING, CryptoApiClient.INITIAL, 1, null, null);
  }

  @AfterEach
  void stop() {
    if (m1 != null) {
      m1.close();
    }
    if (m0 != null) {
      m0.close();
    }
  }

  /** {@code joiner} joins the cluster of {@code member} through its admin API. */
  static void join(AdminRestClient joiner, Member member, String cluster) {
    AdminTestSupport.prepareHsm(joiner);
    Map<String, Object> body = new HashMap<>();
    body.put("action", "join");
    body.put("authentication", AdminTestSupport.co());
    body.put("remoteClusterIpAddress", "127.0.0.1");
    body.put("remoteAdminPort", member.adminPort());
    body.put("remoteAdminPassword", ADMIN_PW);
    joiner
        .call("PUT", "/api/clusters/" + cluster)
        .as(ADMIN, ADMIN_PW)
        .json(body)
        .send()
        .expect(200);
  }

  /**
   * Waits (real time: the member polls the primary in the background) until it caught up and is
   * read-write.
   */
  static void awaitCaughtUp(Member m) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (m.node() == null || !m.node().caughtUp() || !m.node().readWrite()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the member never caught up with the primary");
      }
      Thread.sleep(20);
    }
  }

  /** A registered client: its key, certificate, CA, and an HTTP client per member. */
  record Client(String serial, KeyPair key, X509Certificate cert, X509Certificate ca) {
    HttpClient http() throws Exception {
      return ClientRegistrationApiTest.mtls(key.getPrivate(), cert, ca);
    }
  }

  private Client register(AdminRestClient through, String cn) throws Exception {
    KeyPair kp = ClientRegistrationApiTest.ecKey();
    AdminRestClient.Reply reply =
        through
            .call("POST", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .json(Map.of("commonName", cn, "csr", ClientRegistrationApiTest.csrPem(kp, cn)))
            .send();
    assertEquals(201, reply.status(), reply.body());
    ClientRegistration.Response r =
        WireJson.mapper().readValue(reply.body(), ClientRegistration.Response.class);
    X509Certificate cert = ClientRegistrationApiTest.cert(r.certificate());
    return new Client(
        cert.getSerialNumber().toString(16),
        kp,
        cert,
        ClientRegistrationApiTest.cert(r.caCertificate()));
  }

  private JsonNode clients(AdminRestClient on) {
    return on.call("GET", "/api/clusters/" + cluster + "/clients")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(200)
        .json()
        .path("data");
  }

  private static JsonNode listed(JsonNode clients, String serial) {
    for (JsonNode c : clients) {
      if (c.path("serial").asText().equals(serial)) {
        return c;
      }
    }
    return null;
  }

  private static HttpResponse<String> post(HttpClient http, Member m, String path, Object body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + m.cryptoPort() + "/v1" + path))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofByteArray(
                    body == null ? new byte[0] : WireJson.mapper().writeValueAsBytes(body)))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static String code(HttpResponse<String> r) throws Exception {
    return WireJson.mapper().readTree(r.body()).at("/error/code").asText();
  }

  private static String openSession(HttpClient http, Member m) throws Exception {
    HttpResponse<String> r = post(http, m, "/sessions", Map.of("keyring", KEYRING));
    assertEquals(200, r.statusCode(), r.body());
    return WireJson.mapper().readTree(r.body()).path("sessionId").asText();
  }

  @Test
  void registeredThroughOneMember_isListedOnTheOther_andOpensSessionsOnBoth() throws Exception {
    Client a = register(a0, "client-a");
    Client b = register(a1, "client-b");

    JsonNode on1 = listed(clients(a1), a.serial());
    JsonNode on0 = listed(clients(a0), b.serial());
    assertTrue(on1 != null, "registered on member 0, listed on member 1");
    assertTrue(on0 != null, "registered on member 1, listed on member 0");
    assertEquals("client-a", on1.path("commonName").asText());
    assertFalse(on1.path("revoked").asBoolean());
    assertEquals(clients(a0), clients(a1));

    HttpClient ha = a.http();
    openSession(ha, m0);
    openSession(ha, m1);
    HttpClient hb = b.http();
    openSession(hb, m0);
    openSession(hb, m1);
    assertEquals(2, m0.openSessions());
    assertEquals(2, m1.openSessions());
  }

  @Test
  void revokedThroughTheOtherMember_isRefusedOnBoth_sessionsClosed_connectionsCut()
      throws Exception {
    Client a = register(a0, "client-a");
    Client keep = register(a0, "client-keep");
    HttpClient ha = a.http();
    String s0 = openSession(ha, m0);
    String s1 = openSession(ha, m1);
    HttpClient hk = keep.http();
    String k1 = openSession(hk, m1);

    // revoking through member 1 finds the client member 0 registered (no 404)
    a1.call("DELETE", "/api/clusters/" + cluster + "/clients/" + a.serial())
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(204);

    BigInteger serial = new BigInteger(a.serial(), 16);
    assertTrue(m0.appliance().pki().isRevoked(serial));
    assertTrue(m1.appliance().pki().isRevoked(serial));
    assertTrue(listed(clients(a0), a.serial()).path("revoked").asBoolean());
    assertTrue(listed(clients(a1), a.serial()).path("revoked").asBoolean());
    assertEquals(0, m0.openSessions(), "the revoked client's session on member 0 is closed");
    assertEquals(1, m1.openSessions(), "only the other client's session is left on member 1");

    // the kept-alive connections were cut, and a new handshake is refused: no request gets through
    assertThrows(IOException.class, () -> post(ha, m0, "/sessions/" + s0 + "/logout", null));
    assertThrows(IOException.class, () -> post(ha, m1, "/sessions/" + s1 + "/logout", null));
    assertThrows(IOException.class, () -> openSession(a.http(), m0));
    assertThrows(IOException.class, () -> openSession(a.http(), m1));

    // the other client goes on
    HttpResponse<String> closed = post(hk, m1, "/sessions/" + k1 + "/logout", null);
    assertEquals("CKR_USER_NOT_LOGGED_IN", code(closed), closed.body());
    openSession(hk, m0);

    // revoking again changes nothing, on either member
    a0.call("DELETE", "/api/clusters/" + cluster + "/clients/" + a.serial())
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(204);
  }

  @Test
  void certificate_isValidForTheConfiguredLifetime_twoYearsByDefault_renewedByRegisteringAgain()
      throws Exception {
    Instant before = Instant.now();
    Client first = register(a0, "renewing");
    Instant end = first.cert().getNotAfter().toInstant();
    assertTrue(
        !end.isBefore(before.plus(Duration.ofDays(730)).minusSeconds(5))
            && !end.isAfter(Instant.now().plus(Duration.ofDays(730)).plusSeconds(5)),
        "not after " + end);

    Client renewed = register(a1, "renewing");
    assertFalse(first.serial().equals(renewed.serial()));
    a1.call("DELETE", "/api/clusters/" + cluster + "/clients/" + first.serial())
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(204);
    openSession(renewed.http(), m0);
    assertThrows(IOException.class, () -> openSession(first.http(), m0));
  }
}
