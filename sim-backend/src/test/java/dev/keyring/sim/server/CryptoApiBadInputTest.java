package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.wire.WireJson;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
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
  /** A Java class name as a message might leak it: qualified, or one of the JDK's simple names. */
  private static final Pattern JAVA_NAME =
      Pattern.compile(
          "\\b(?:java|javax|sun|org\\.bouncycastle)\\.|Exception\\b|\\b(?:LinkedHashMap|ArrayList"
              + "|Integer|Long|Double|BigInteger|Boolean|String)\\b");

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

  @Test
  void anAttributeValueOfTheWrongJsonType_isNamedInJsonTerms_neverAsAJavaClass() throws Exception {
    Map<String, String> cases =
        Map.of(
            "{\"CKA_LABEL\":{\"a\":1}}", "CKA_LABEL takes a string, got an object",
            "{\"CKA_LABEL\":[\"a\"]}", "CKA_LABEL takes a string, got an array",
            "{\"CKA_SIGN\":\"yes\"}", "CKA_SIGN takes a boolean, got a string",
            "{\"CKA_CLASS\":5}", "CKA_CLASS takes an object class, got a number");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      CryptoApiClient.Answer a =
          client.sendRaw("POST", s + "/objects/find", "{\"template\":" + c.getKey() + "}");
      assertEquals(400, a.status(), c.getKey() + ": " + a.body());
      JsonNode e = error(a.body());
      assertEquals("CKR_ATTRIBUTE_VALUE_INVALID", e.path("code").asText(), a.body());
      String message = e.path("message").asText();
      assertTrue(message.endsWith(c.getValue()), c.getKey() + ": " + message);
      assertFalse(JAVA_NAME.matcher(message).find(), c.getKey() + ": " + message);
    }
  }

  @Test
  void publicKeysCertificatesAndPeerKeysThatDoNotParse_areRefusedWithoutJavaClassNames()
      throws Exception {
    String rsa = "{\"CKA_CLASS\":\"PUBLIC_KEY\",\"CKA_KEY_TYPE\":\"RSA\",";
    long base =
        client
            .sendRaw(
                "POST",
                s + "/keypairs",
                "{\"spec\":{\"type\":\"EC\",\"curve\":\"P-256\"},"
                    + "\"publicTemplate\":{},\"privateTemplate\":{\"CKA_SIGN\":false}}")
            .expect(200)
            .path("privateKey")
            .path("handle")
            .asLong();
    Map<String, String[]> cases =
        Map.of(
            "an RSA modulus of one byte",
            new String[] {
              "/objects",
              "{\"template\":" + rsa + "\"CKA_MODULUS\":\"00\",\"CKA_PUBLIC_EXPONENT\":\"03\"}}",
              "CKR_ATTRIBUTE_VALUE_INVALID"
            },
            "an RSA exponent larger than the modulus",
            new String[] {
              "/objects",
              "{\"template\":"
                  + rsa
                  + "\"CKA_MODULUS\":\""
                  + "ff".repeat(256)
                  + "\",\"CKA_PUBLIC_EXPONENT\":\""
                  + "ff".repeat(300)
                  + "\"}}",
              "CKR_ATTRIBUTE_VALUE_INVALID"
            },
            "a certificate of two bytes",
            new String[] {
              "/objects",
              "{\"template\":{\"CKA_CLASS\":\"CERTIFICATE\",\"CKA_VALUE\":\"3000\"}}",
              "CKR_ATTRIBUTE_VALUE_INVALID"
            },
            "an ECDH peer key that is no point",
            new String[] {
              "/derive",
              "{\"baseKey\":"
                  + base
                  + ",\"mechanism\":{\"name\":\"CKM_ECDH1_DERIVE\",\"peerPublicKey\":\"BAAA\"},"
                  + "\"template\":{\"CKA_CLASS\":\"SECRET_KEY\",\"CKA_KEY_TYPE\":\"AES\"}}",
              "CKR_MECHANISM_PARAM_INVALID"
            });
    for (Map.Entry<String, String[]> c : cases.entrySet()) {
      String[] v = c.getValue();
      CryptoApiClient.Answer a = client.sendRaw("POST", s + v[0], v[1]);
      assertEquals(400, a.status(), c.getKey() + ": " + a.body());
      JsonNode e = error(a.body());
      assertEquals(v[2], e.path("code").asText(), c.getKey() + ": " + a.body());
      String message = e.path("message").asText();
      assertFalse(message.isBlank(), c.getKey());
      assertFalse(JAVA_NAME.matcher(message).find(), c.getKey() + ": " + message);
    }
    assertEquals(200, client.send("GET", "/health", null).status());
  }

  @Test
  void anObjectHandleWithASignOrWithDigitsOfAnotherScript_isRefused() throws Exception {
    long h =
        client
            .sendRaw("POST", s + "/objects", "{\"template\":{\"CKA_CLASS\":\"DATA\"}}")
            .expect(200)
            .path("handle")
            .asLong();
    assertEquals(200, client.send("GET", s + "/objects/" + h, null).status());
    String digits = Long.toString(h);
    StringBuilder arabicIndic = new StringBuilder();
    StringBuilder fullWidth = new StringBuilder();
    for (char d : digits.toCharArray()) {
      arabicIndic.append((char) ('\u0660' + d - '0'));
      fullWidth.append((char) ('\uFF10' + d - '0'));
    }
    for (String bad :
        List.of("+" + digits, arabicIndic.toString(), fullWidth.toString(), "0" + "\u0661")) {
      String path = s + "/objects/" + URLEncoder.encode(bad, StandardCharsets.UTF_8);
      for (String method : List.of("GET", "DELETE")) {
        CryptoApiClient.Answer a = client.send(method, path, null);
        assertEquals(404, a.status(), method + " " + path + ": " + a.body());
        assertEquals("CKR_OBJECT_HANDLE_INVALID", a.code(), a.body());
      }
    }
    assertEquals(200, client.send("GET", s + "/objects/" + h, null).status(), "still there");
  }

  private static JsonNode error(String body) throws Exception {
    JsonNode e = WireJson.mapper().readTree(body).path("error");
    assertTrue(e.path("code").asText().startsWith("CKR_"), body);
    assertTrue(e.path("value").isNumber(), body);
    return e;
  }
}
