package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.testing.admin.AdminRestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Cipher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS premaster decryption through the member's crypto API over mutual TLS, with a client the
 * cluster CA registered: a valid premaster comes back, a bad one is 200 with 48 other bytes (the
 * same answer shape, no error), and a half-given pair of version fields is refused.
 */
class CryptoApiTlsPremasterTest {
  private static final String KEYRING = "tls-server";
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;
  private Member member;
  private HttpClient http;
  private String base;
  private String session;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    AdminRestClient c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    String cluster = AdminTestSupport.provision(c);
    KeyPair kp = ClientRegistrationApiTest.ecKey();
    AdminRestClient.Reply reply =
        c.call("POST", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .json(
                Map.of(
                    "commonName",
                    "tls-app",
                    "csr",
                    ClientRegistrationApiTest.csrPem(kp, "tls-app")))
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
    session = post("/sessions", Map.of("keyring", KEYRING)).expect(200).path("sessionId").asText();
    String s = "/sessions/" + session;
    post(s + "/login", Map.of("role", "po", "password", INITIAL)).expect(204);
    post(s + "/password", Map.of("oldPassword", INITIAL, "newPassword", PASSWORD)).expect(204);
    post(s + "/init-krco", Map.of("password", PASSWORD)).expect(204);
    post(s + "/logout", null).expect(204);
    post(s + "/login", Map.of("role", "co", "password", PASSWORD)).expect(204);
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

  private record Answer(int status, String body) {
    JsonNode expect(int wanted) throws Exception {
      assertEquals(wanted, status, body);
      return body.isEmpty() ? null : WireJson.mapper().readTree(body);
    }

    String code() throws Exception {
      return WireJson.mapper().readTree(body).path("error").path("code").asText();
    }
  }

  private Answer send(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(
              method,
              HttpRequest.BodyPublishers.ofString(WireJson.mapper().writeValueAsString(body)));
    }
    HttpResponse<String> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(resp.statusCode(), resp.body());
  }

  private Answer post(String path, Object body) throws Exception {
    return send("POST", path, body);
  }

  private Answer decrypt(long key, Map<String, Object> mechanism, byte[] data) throws Exception {
    return post(
        "/sessions/" + session + "/decrypt",
        Map.of(
            "key", key, "mechanism", mechanism, "data", Base64.getEncoder().encodeToString(data)));
  }

  private static Map<String, Object> tls(Integer client, Integer server) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "CKM_RSA_PKCS");
    if (client != null) {
      m.put("tlsClientVersion", client);
    }
    if (server != null) {
      m.put("tlsServerVersion", server);
    }
    return m;
  }

  private static byte[] bytes(JsonNode answer) {
    return Base64.getDecoder().decode(answer.path("data").asText());
  }

  @Test
  void premasterDecryption_overMutualTls_hidesBadPadding_andRefusesHalfTheParameters()
      throws Exception {
    JsonNode pair =
        post(
                "/sessions/" + session + "/keypairs",
                Map.of(
                    "spec", Map.of("type", "RSA", "bits", 2048),
                    "publicTemplate", Map.of("CKA_LABEL", "tls"),
                    "privateTemplate", Map.of("CKA_LABEL", "tls")))
            .expect(200);
    long priv = pair.path("privateKey").path("handle").asLong();
    @SuppressWarnings("unchecked")
    Map<String, Object> pubAttrs =
        WireJson.mapper().convertValue(pair.path("publicKey").path("attributes"), Map.class);
    PublicKey pub = PublicKeyAttributes.toPublicKey(Attributes.fromJsonMap(pubAttrs));
    Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    enc.init(Cipher.ENCRYPT_MODE, pub);

    byte[] pm = new byte[48];
    RANDOM.nextBytes(pm);
    pm[0] = 0x03;
    pm[1] = 0x03;
    assertArrayEquals(pm, bytes(decrypt(priv, tls(0x0303, 0x0303), enc.doFinal(pm)).expect(200)));

    // wrong version, wrong length, random ciphertext: 200 and 48 bytes starting 03 03
    byte[] oldVersion = pm.clone();
    oldVersion[1] = 0x01;
    byte[] noise = new byte[256];
    RANDOM.nextBytes(noise);
    noise[0] = 0x00;
    for (byte[] ct :
        new byte[][] {
          enc.doFinal(oldVersion), enc.doFinal(Arrays.copyOf(pm, 47)), noise,
        }) {
      byte[] out = bytes(decrypt(priv, tls(0x0303, 0x0303), ct).expect(200));
      assertEquals(48, out.length);
      assertEquals(0x03, out[0]);
      assertEquals(0x03, out[1]);
      assertFalse(Arrays.equals(pm, out));
      assertFalse(Arrays.equals(oldVersion, out));
    }

    // a ciphertext that is not the modulus length is refused: the length is public
    Answer shortCt = decrypt(priv, tls(0x0303, 0x0303), Arrays.copyOf(noise, 255));
    assertEquals(422, shortCt.status(), shortCt.body());
    assertEquals("CKR_ENCRYPTED_DATA_LEN_RANGE", shortCt.code());

    // without the parameters the same noise is an error, as before
    Answer plain = decrypt(priv, Map.of("name", "CKM_RSA_PKCS"), noise);
    assertEquals(422, plain.status(), plain.body());
    assertEquals("CKR_ENCRYPTED_DATA_INVALID", plain.code());

    // one version field without the other, a version out of range, a field on another mechanism
    for (Map<String, Object> bad :
        java.util.List.of(
            tls(0x0303, null),
            tls(null, 0x0303),
            tls(0x0303, 0x0200),
            Map.<String, Object>of(
                "name", "CKM_RSA_PKCS_OAEP", "tlsClientVersion", 771, "tlsServerVersion", 771))) {
      Answer a = decrypt(priv, bad, enc.doFinal(pm));
      assertEquals(400, a.status(), a.body());
      assertEquals("CKR_MECHANISM_PARAM_INVALID", a.code(), a.body());
      assertFalse(a.body().contains(Base64.getEncoder().encodeToString(pm)), a.body());
    }
    Answer half = decrypt(priv, tls(0x0303, null), enc.doFinal(pm));
    assertTrue(half.body().contains("tlsServerVersion"), half.body());
  }
}
