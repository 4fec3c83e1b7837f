package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.wire.WireJson;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad requests to a real member's crypto API (mutual TLS on loopback) beyond the generated ones of
 * {@code CryptoApiMalformedInputTest} (e2e). Each is a 4xx with the JSON error shape and a message
 * in the API's own words, and the member goes on serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CryptoApiBadInputTest {
  @TempDir static Path dir;
  private Member member;
  private CryptoApiClient client;
  private String s;

  @BeforeAll
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    client = new CryptoApiClient(member, "bad");
    s = "/sessions/" + client.session;
  }

  @AfterAll
  void stop() throws Exception {
    if (member != null) {
      member.close();
    }
  }

  @Test
  void aMethodThePathDoesNotTake_isAnswered405_withAnAllowHeaderNamingThoseItTakes()
      throws Exception {
    List<String[]> cases =
        List.of(
            new String[] {"GET", s + "/sign", "POST"},
            new String[] {"PUT", s + "/objects/1", "GET, PATCH, DELETE"},
            new String[] {"POST", "/slots", "GET"},
            new String[] {"GET", "/sessions", "POST"},
            new String[] {"POST", s, "DELETE"},
            new String[] {"DELETE", s + "/cloning", "GET"},
            new String[] {"GET", s + "/operations/nope", "POST"},
            new String[] {"DELETE", "/health", "GET"});
    for (String[] c : cases) {
      HttpResponse<String> r = client.exchange(c[0], c[1], null);
      String what = c[0] + " " + c[1];
      assertEquals(405, r.statusCode(), what + ": " + r.body());
      assertEquals(c[2], r.headers().firstValue("Allow").orElse(null), what);
      assertEquals("CKR_ARGUMENTS_BAD", error(r.body()).path("code").asText(), what);
    }
    assertEquals(200, client.send("GET", "/health", null).status());
  }

  private static JsonNode error(String body) throws Exception {
    JsonNode e = WireJson.mapper().readTree(body).path("error");
    assertTrue(e.path("code").asText().startsWith("CKR_"), body);
    assertTrue(e.path("value").isNumber(), body);
    return e;
  }
}
