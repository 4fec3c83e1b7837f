package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.testing.admin.AdminRestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;

/**
 * A client registered with a started member (its admin API provisioned), speaking the crypto API
 * over mutual TLS, with one session on a keyring whose KRCO is logged in.
 */
final class CryptoApiClient {
  static final String INITIAL = "keyring-initial-1";
  static final String PASSWORD = "keyring-password-2";

  final AdminRestClient admin;
  final String cluster;
  final String session;

  /** The client certificate this client calls with. */
  final X509Certificate certificate;

  private final HttpClient http;
  private final String base;

  /** The crypto API's answer: status and body. */
  record Answer(int status, String body) {
    JsonNode expect(int wanted) throws Exception {
      assertEquals(wanted, status, body);
      return body.isEmpty() ? null : WireJson.mapper().readTree(body);
    }

    String code() throws Exception {
      return WireJson.mapper().readTree(body).path("error").path("code").asText();
    }
  }

  CryptoApiClient(Member member, String keyring) throws Exception {
    admin = new AdminRestClient(member.adminPort(), member.adminCertificate());
    cluster = AdminTestSupport.provision(admin);
    KeyPair kp = ClientRegistrationApiTest.ecKey();
    AdminRestClient.Reply reply =
        admin
            .call("POST", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .json(
                Map.of(
                    "commonName",
                    "api-client",
                    "csr",
                    ClientRegistrationApiTest.csrPem(kp, "api-client")))
            .send();
    assertEquals(201, reply.status(), reply.body());
    ClientRegistration.Response r =
        WireJson.mapper().readValue(reply.body(), ClientRegistration.Response.class);
    certificate = ClientRegistrationApiTest.cert(r.certificate());
    http =
        ClientRegistrationApiTest.mtls(
            kp.getPrivate(), certificate, ClientRegistrationApiTest.cert(r.caCertificate()));
    base = "https://" + r.cryptoHost() + ":" + r.cryptoPort() + "/v1";

    member
        .appliance()
        .keyrings()
        .createKeyrings(AdminTestSupport.CO, keyring, INITIAL, 1, null, null);
    session = post("/sessions", Map.of("keyring", keyring)).expect(200).path("sessionId").asText();
    String s = "/sessions/" + session;
    post(s + "/login", Map.of("role", "po", "password", INITIAL)).expect(204);
    post(s + "/password", Map.of("oldPassword", INITIAL, "newPassword", PASSWORD)).expect(204);
    post(s + "/init-krco", Map.of("password", PASSWORD)).expect(204);
    post(s + "/logout", null).expect(204);
    post(s + "/login", Map.of("role", "co", "password", PASSWORD)).expect(204);
  }

  /** A request with a JSON body ({@code body} a map or record) or none ({@code null}). */
  Answer send(String method, String path, Object body) throws Exception {
    return sendRaw(method, path, body == null ? null : WireJson.mapper().writeValueAsString(body));
  }

  /** A request with the given JSON text as its body, or none. */
  Answer sendRaw(String method, String path, String json) throws Exception {
    HttpResponse<String> resp = exchange(method, path, json);
    return new Answer(resp.statusCode(), resp.body());
  }

  /** A request with the given JSON text as its body, or none; the whole answer, headers too. */
  HttpResponse<String> exchange(String method, String path, String json) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (json == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  Answer post(String path, Object body) throws Exception {
    return send("POST", path, body);
  }

  /** A POST on this client's session: {@code op} is the path after the session id. */
  Answer onSession(String op, Object body) throws Exception {
    return post("/sessions/" + session + op, body);
  }

  void close() throws Exception {
    send("DELETE", "/sessions/" + session, null);
  }
}
