package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.testing.admin.AdminRestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assignment of keyrings to clients (off by default) is cluster state: two real members in this
 * JVM (Jetty, mutual TLS, H2 stores, the crypto channel), the second joined through the first's
 * admin API. Turned on and assigned through one member, it holds on the other, over the REST crypto
 * API and the crypto channel alike: an unassigned keyring is not in the client's slot list, and
 * opening or logging in to it is refused as a keyring that does not exist, before any password is
 * looked at, so that client cannot lock it out.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class KeyringAssignmentsTest {
  private static final String MINE = "mine";
  private static final String OTHER = "other";
  // at most 16 characters: such a keyring is subject to lockout
  private static final String INITIAL = "ring-initial-1";

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
    ReplicatedClientsTest.join(a1, m0, cluster);
    ReplicatedClientsTest.awaitCaughtUp(m1);
    for (String label : List.of(MINE, OTHER)) {
      m0.appliance().keyrings().createKeyrings(AdminTestSupport.CO, label, INITIAL, 1, null, null);
    }
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

  /** A registered client: its TLS context for the REST API and the crypto channel. */
  record Client(SSLContext tls, HttpClient http) {}

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
    X509Certificate ca = ClientRegistrationApiTest.cert(r.caCertificate());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("client", kp.getPrivate(), "pw".toCharArray(), new X509Certificate[] {cert});
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
    return new Client(ctx, ClientRegistrationApiTest.mtls(kp.getPrivate(), cert, ca));
  }

  private AdminRestClient.Reply assignments(
      AdminRestClient on, String method, Map<String, Object> body) {
    AdminRestClient.Call r =
        on.call(method, "/api/clusters/" + cluster + "/keyring-assignments").as(ADMIN, ADMIN_PW);
    return body == null ? r.send() : r.json(body).send();
  }

  private void enable(AdminRestClient on, boolean enabled) {
    JsonNode view = assignments(on, "PATCH", Map.of("enabled", enabled)).expect(200).json();
    assertEquals(enabled, view.path("enabled").asBoolean());
  }

  private void assign(AdminRestClient on, String client, String keyring) {
    assignments(on, "POST", Map.of("client", client, "keyring", keyring)).expect(204);
  }

  private static HttpResponse<String> call(
      Client c, Member m, String method, String path, Object body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + m.cryptoPort() + "/v1" + path))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json");
    if (method.equals("GET")) {
      b.GET();
    } else {
      b.method(
          method,
          HttpRequest.BodyPublishers.ofByteArray(
              body == null ? new byte[0] : WireJson.mapper().writeValueAsBytes(body)));
    }
    return c.http().send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static List<String> slots(Client c, Member m) throws Exception {
    HttpResponse<String> r = call(c, m, "GET", "/slots", null);
    assertEquals(200, r.statusCode(), r.body());
    List<String> labels = new ArrayList<>();
    for (JsonNode s : WireJson.mapper().readTree(r.body()).path("slots")) {
      labels.add(s.path("label").asText());
    }
    return labels;
  }

  /** Opens a session over REST: its id, or the refusal's code. */
  private static String open(Client c, Member m, String keyring) throws Exception {
    HttpResponse<String> r = call(c, m, "POST", "/sessions", Map.of("keyring", keyring));
    JsonNode body = WireJson.mapper().readTree(r.body());
    return r.statusCode() == 200
        ? body.path("sessionId").asText()
        : body.at("/error/code").asText() + ": " + body.at("/error/message").asText();
  }

  private static ChannelAnswer openOverChannel(Client c, Member m, String keyring)
      throws Exception {
    try (RawChannel ch = RawChannel.open(c.tls(), m.channelPort())) {
      ch.send(ChannelCodec.openSession(1, null, keyring));
      return ch.read();
    }
  }

  private static final String NO_SUCH =
      "CKR_SLOT_ID_INVALID: no keyring has that UUID, label or serial number";

  @Test
  void offByDefault_everyClientSeesAndOpensEveryKeyring() throws Exception {
    Client a = register(a0, "client-a");
    JsonNode view = assignments(a1, "GET", null).expect(200).json();
    assertFalse(view.path("enabled").asBoolean());
    assertEquals(0, view.path("clients").size());
    for (Member m : List.of(m0, m1)) {
      assertEquals(List.of(MINE, OTHER), slots(a, m).stream().sorted().toList());
      assertEquals(32, open(a, m, OTHER).length(), "a session id");
      assertTrue(openOverChannel(a, m, OTHER).ok());
    }
  }

  @Test
  void enabledAndAssignedThroughOneMember_holdsOnBoth_overRestAndTheChannel() throws Exception {
    Client a = register(a0, "client-a");
    Client b = register(a1, "client-b");
    assign(a1, "client-a", MINE);
    enable(a0, true);

    JsonNode view = assignments(a1, "GET", null).expect(200).json();
    assertTrue(view.path("enabled").asBoolean());
    assertEquals("client-a", view.at("/clients/0/client").asText());
    assertEquals(MINE, view.at("/clients/0/keyrings/0/keyRingLabel").asText());
    assertEquals(view, assignments(a0, "GET", null).expect(200).json());

    for (Member m : List.of(m0, m1)) {
      assertEquals(List.of(MINE), slots(a, m), "client-a sees only its keyring");
      assertEquals(List.of(), slots(b, m), "client-b has no keyring");
      assertEquals(32, open(a, m, MINE).length());
      // refused exactly as a keyring that does not exist
      assertEquals(NO_SUCH, open(a, m, OTHER));
      assertEquals(NO_SUCH, open(a, m, "no-such-keyring"));
      assertEquals(NO_SUCH, open(b, m, MINE));
      String uuid = m.appliance().keyrings().keyring(MINE).id().toString();
      assertEquals(NO_SUCH, open(b, m, uuid));

      assertTrue(openOverChannel(a, m, MINE).ok());
      ChannelAnswer refused = openOverChannel(b, m, MINE);
      assertEquals(ResultCode.CKR_SLOT_ID_INVALID, refused.code);
      assertEquals(ResultCode.CKR_SLOT_ID_INVALID, openOverChannel(b, m, "no-such-keyring").code);
      try (RawChannel ch = RawChannel.open(b.tls(), m.channelPort())) {
        ch.send(ChannelCodec.json(1, null, false, "GET", "/v1/slots", new byte[0]));
        ChannelAnswer slots = ch.read();
        assertTrue(slots.ok(), String.valueOf(slots.message));
        assertEquals(0, WireJson.mapper().readTree(slots.body.rest()).path("slots").size());
      }
    }

    // turned off through the other member: every client sees every keyring again
    enable(a1, false);
    for (Member m : List.of(m0, m1)) {
      assertEquals(List.of(MINE, OTHER), slots(b, m).stream().sorted().toList());
      assertEquals(32, open(b, m, MINE).length());
    }
  }

  @Test
  void anUnassignedClient_cannotLockTheKeyring_theAssignedOneStillCounts() throws Exception {
    Client a = register(a0, "client-a");
    Client b = register(a0, "client-b");
    assign(a0, "client-a", MINE);
    enable(a1, true);
    for (int i = 0; i < 12; i++) {
      assertEquals(NO_SUCH, open(b, m0, MINE));
      assertEquals(NO_SUCH, open(b, m1, MINE));
    }
    for (Member m : List.of(m0, m1)) {
      assertEquals(0, m.appliance().keyrings().keyring(MINE).failedLogins());
      assertFalse(m.appliance().keyrings().keyring(MINE).locked());
    }
    String s = open(a, m1, MINE);
    HttpResponse<String> wrong =
        call(
            a,
            m1,
            "POST",
            "/sessions/" + s + "/login",
            Map.of("role", "po", "password", "wrong-password-9"));
    assertEquals(
        "CKR_PIN_INCORRECT",
        WireJson.mapper().readTree(wrong.body()).at("/error/code").asText(),
        wrong.body());
    assertEquals(1, m0.appliance().keyrings().keyring(MINE).failedLogins());
  }

  @Test
  void unassigning_closesTheClientsSessionsOnThatKeyring_onEveryMember() throws Exception {
    Client a = register(a0, "client-a");
    assign(a0, "client-a", MINE);
    assign(a0, "client-a", OTHER);
    enable(a0, true);
    String s0 = open(a, m0, MINE);
    String s1 = open(a, m1, MINE);
    String keep = open(a, m1, OTHER);
    assertEquals(1, m0.openSessions());
    assertEquals(2, m1.openSessions());

    assignments(a1, "DELETE", Map.of("client", "client-a", "keyring", MINE)).expect(204);

    assertEquals(0, m0.openSessions());
    assertEquals(1, m1.openSessions(), "the session on the keyring still assigned stays");
    for (String[] sm : new String[][] {{s0, "0"}, {s1, "1"}}) {
      Member m = sm[1].equals("0") ? m0 : m1;
      HttpResponse<String> r =
          call(
              a, m, "POST", "/sessions/" + sm[0] + "/login", Map.of("role", "po", "password", "x"));
      assertEquals(
          "CKR_SESSION_HANDLE_INVALID",
          WireJson.mapper().readTree(r.body()).at("/error/code").asText());
    }
    assertEquals(32, keep.length());
    assertEquals(List.of(OTHER), slots(a, m0));
  }

  @Test
  void badRequests_areRefusedClearly_andOnlyTheAdminChangesAssignments() {
    assertEquals(400, assignments(a0, "PATCH", Map.of()).status(), "enabled is required");
    AdminRestClient.Reply unknownClient =
        assignments(a0, "POST", Map.of("client", "nobody", "keyring", MINE));
    assertEquals(404, unknownClient.status());
    assertTrue(unknownClient.body().contains("no registered client has that name"));
    assertFalse(unknownClient.body().contains("nobody"), "the name is not echoed");
    AdminRestClient.Reply unknownKeyring =
        assignments(a0, "POST", Map.of("client", "nobody", "keyring", "no-such"));
    assertTrue(unknownKeyring.body().contains("CKR_SLOT_ID_INVALID"), unknownKeyring.body());
    assertEquals(
        400, assignments(a0, "POST", Map.of("client", "x", "keyring", "bad label!")).status());
    AdminRestClient.Reply notAssigned =
        assignments(a0, "DELETE", Map.of("client", "nobody", "keyring", MINE));
    assertEquals(404, notAssigned.status());

    AdminTestSupport.setPassword(a0, "operator", "operator-password-1");
    AdminRestClient.Reply byOperator =
        a0.call("PATCH", "/api/clusters/" + cluster + "/keyring-assignments")
            .as("operator", "operator-password-1")
            .json(Map.of("enabled", true))
            .send();
    assertEquals(403, byOperator.status(), byOperator.body());
    assertFalse(assignments(a1, "GET", null).expect(200).json().path("enabled").asBoolean());
  }
}
