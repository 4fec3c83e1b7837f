package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.wire.ClusterPosition;
import dev.keyring.protocol.wire.CryptoHeaders;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.testing.admin.AdminRestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consistency headers of the crypto API on a one-member cluster (its primary): the answers to
 * writes and to reads from the primary report the member's log position, the client's position is
 * honoured at once by the primary, and malformed headers are refused. Waiting and refusing on a
 * member behind the client is run with several members in e2e ({@code ReadYourWritesTest}).
 */
class CryptoApiLogPositionTest {
  private static final String KEYRING = "positions";
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";

  @TempDir Path dir;
  private Member member;
  private HttpClient http;
  private String base;
  private String session;
  private UUID clusterId;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    AdminRestClient c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    String cluster = AdminTestSupport.provision(c);
    clusterId = UUID.fromString(cluster);
    KeyPair kp = ClientRegistrationApiTest.ecKey();
    AdminRestClient.Reply reply =
        c.call("POST", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .json(
                Map.of(
                    "commonName",
                    "positions-app",
                    "csr",
                    ClientRegistrationApiTest.csrPem(kp, "positions-app")))
            .send();
    assertEquals(201, reply.status(), reply.body());
    ClientRegistration.Response r =
        WireJson.mapper().readValue(reply.body(), ClientRegistration.Response.class);
    X509Certificate cert = ClientRegistrationApiTest.cert(r.certificate());
    X509Certificate ca = ClientRegistrationApiTest.cert(r.caCertificate());
    http = ClientRegistrationApiTest.mtls(kp.getPrivate(), cert, ca);
    base = "https://" + r.cryptoHost() + ":" + r.cryptoPort() + "/v1";
    member
        .appliance()
        .keyrings()
        .createKeyrings(AdminTestSupport.CO, KEYRING, INITIAL, 1, null, null);
    session =
        send("POST", "/sessions", Map.of("keyring", KEYRING)).json(200).path("sessionId").asText();
    String s = "/sessions/" + session;
    send("POST", s + "/login", Map.of("role", "po", "password", INITIAL)).json(204);
    send("POST", s + "/password", Map.of("oldPassword", INITIAL, "newPassword", PASSWORD))
        .json(204);
    send("POST", s + "/init-krco", Map.of("password", PASSWORD)).json(204);
    send("POST", s + "/logout", null).json(204);
    send("POST", s + "/login", Map.of("role", "co", "password", PASSWORD)).json(204);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (session != null) {
        send("DELETE", "/sessions/" + session, null);
      }
    } finally {
      member.close();
    }
  }

  private record Answer(int status, String body, String position) {
    JsonNode json(int wanted) throws Exception {
      assertEquals(wanted, status, body);
      return body.isEmpty() ? null : WireJson.mapper().readTree(body);
    }

    String code() throws Exception {
      return WireJson.mapper().readTree(body).path("error").path("code").asText();
    }
  }

  private Answer send(String method, String path, Object body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(
              method,
              HttpRequest.BodyPublishers.ofString(WireJson.mapper().writeValueAsString(body)));
    }
    HttpResponse<String> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(
        resp.statusCode(),
        resp.body(),
        resp.headers().firstValue(CryptoHeaders.LOG_POSITION).orElse(null));
  }

  private Answer generateKey(String label) throws Exception {
    return send(
        "POST",
        "/sessions/" + session + "/keys",
        Map.of("spec", Map.of("type", "AES", "bits", 256), "template", Map.of("CKA_LABEL", label)));
  }

  private Answer find(String... headers) throws Exception {
    return send(
        "POST", "/sessions/" + session + "/objects/find", Map.of("template", Map.of()), headers);
  }

  @Test
  void writes_reportTheMembersPosition_whichGrows_andReadsDoNot() throws Exception {
    Answer first = generateKey("one");
    long handle = first.json(200).path("handle").asLong();
    assertNotNull(first.position(), "a write reports the position");
    ClusterPosition p1 = ClusterPosition.parse(first.position());
    assertEquals(clusterId, p1.clusterId());
    assertEquals(member.node().position().sequence(), p1.sequence());

    Answer relabel =
        send(
            "PATCH",
            "/sessions/" + session + "/objects/" + handle,
            Map.of("attributes", Map.of("CKA_LABEL", "two")));
    relabel.json(200);
    ClusterPosition p2 = ClusterPosition.parse(relabel.position());
    assertTrue(p2.sequence() > p1.sequence(), p1 + " then " + p2);

    Answer read = find();
    read.json(200);
    assertNull(read.position(), "an ordinary read reports nothing");

    Answer destroy = send("DELETE", "/sessions/" + session + "/objects/" + handle, null);
    destroy.json(204);
    assertTrue(ClusterPosition.parse(destroy.position()).sequence() > p2.sequence());
  }

  @Test
  void readFromThePrimary_isAnsweredByIt_withItsPosition() throws Exception {
    generateKey("k");
    Answer a = find(CryptoHeaders.READ_FROM, CryptoHeaders.PRIMARY);
    assertEquals(1, a.json(200).path("objects").size());
    assertEquals(
        member.node().position().sequence(), ClusterPosition.parse(a.position()).sequence());
  }

  @Test
  void theClientsPosition_isAnsweredAtOnceByThePrimary_andAnotherClustersIsIgnored()
      throws Exception {
    ClusterPosition ahead =
        new ClusterPosition(clusterId, 1, member.node().position().sequence() + 1_000);
    find(CryptoHeaders.MIN_POSITION, ahead.toString()).json(200);
    ClusterPosition foreign = new ClusterPosition(UUID.randomUUID(), 9, 1_000_000);
    find(CryptoHeaders.MIN_POSITION, foreign.toString()).json(200);
    send("GET", "/slots", null, CryptoHeaders.MIN_POSITION, ahead.toString()).json(200);
  }

  @Test
  void malformedHeaders_areRefused_andChangeNothing() throws Exception {
    Answer bad = find(CryptoHeaders.MIN_POSITION, "42");
    assertEquals(400, bad.status(), bad.body());
    assertEquals("CKR_ARGUMENTS_BAD", bad.code());
    assertTrue(bad.body().contains(CryptoHeaders.MIN_POSITION), bad.body());

    Answer from = find(CryptoHeaders.READ_FROM, "anyone");
    assertEquals(400, from.status(), from.body());
    Answer write =
        send(
            "POST",
            "/sessions/" + session + "/keys",
            Map.of("spec", Map.of("type", "AES", "bits", 256), "template", Map.of()),
            CryptoHeaders.MIN_POSITION,
            "not a position");
    assertEquals(400, write.status(), write.body());
    assertEquals(0, find().json(200).path("objects").size(), "the refused write made nothing");
  }

  @Test
  void theRulesCover_sessionsAndSlots_butNotClosingLogoutOrParts() {
    assertTrue(ReadConsistency.applies("GET", "/v1/slots".split("/", -1)));
    assertTrue(ReadConsistency.applies("POST", "/v1/sessions".split("/", -1)));
    assertTrue(ReadConsistency.applies("POST", "/v1/sessions/s/sign".split("/", -1)));
    assertTrue(ReadConsistency.applies("POST", "/v1/sessions/s/objects/find".split("/", -1)));
    assertFalse(ReadConsistency.applies("DELETE", "/v1/sessions/s".split("/", -1)));
    assertFalse(ReadConsistency.applies("POST", "/v1/sessions/s/logout".split("/", -1)));
    assertFalse(ReadConsistency.applies("POST", "/v1/sessions/s/operations/op".split("/", -1)));
    assertFalse(ReadConsistency.applies("GET", "/v1/health".split("/", -1)));
    assertFalse(ReadConsistency.applies("GET", "/v1/cluster".split("/", -1)));

    assertTrue(ReadConsistency.changes("POST", "/v1/sessions/s/keypairs".split("/", -1)));
    assertTrue(ReadConsistency.changes("DELETE", "/v1/sessions/s/objects/7".split("/", -1)));
    assertTrue(ReadConsistency.changes("PATCH", "/v1/sessions/s/objects/7".split("/", -1)));
    assertFalse(ReadConsistency.changes("GET", "/v1/sessions/s/objects/7".split("/", -1)));
    assertFalse(ReadConsistency.changes("POST", "/v1/sessions/s/objects/find".split("/", -1)));
    assertFalse(ReadConsistency.changes("POST", "/v1/sessions/s/sign".split("/", -1)));
  }
}
