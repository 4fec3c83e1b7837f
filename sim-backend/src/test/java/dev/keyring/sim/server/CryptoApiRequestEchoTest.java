package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.server.CryptoApiClient.Answer;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crypto API's refusals name the field and the rule but never repeat a value of the request:
 * not a 100 KB label, not a bogus session or operation id, not an unknown name, role, mechanism or
 * keyring. And the key model holds over the wire: a key derived with the caller's own peer key
 * wraps nothing.
 */
class CryptoApiRequestEchoTest {
  @TempDir Path dir;
  private Member member;
  private CryptoApiClient api;
  private String marker;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    api = new CryptoApiClient(member, "echo");
    byte[] r = new byte[8];
    new Random().nextBytes(r);
    marker = "MARKER" + HexFormat.of().formatHex(r);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      api.close();
    } finally {
      member.close();
    }
  }

  /** A refusal with {@code status} and {@code code} whose body does not carry the marker. */
  private void assertRefusedWithoutEcho(Answer a, int status, String code) throws Exception {
    assertEquals(status, a.status(), a.body());
    assertEquals(code, a.code(), a.body());
    assertFalse(a.body().contains(marker), "the answer repeats a request value: " + a.body());
    assertTrue(a.body().length() < 2_000, "a short answer: " + a.body().length() + " chars");
  }

  private String hugeLabel() {
    return marker + "L".repeat(100_000);
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void hundredKilobyteLabel_isRefusedWithoutBeingRepeated_onCreateGenerateAndSet()
      throws Exception {
    assertRefusedWithoutEcho(
        api.onSession(
            "/objects",
            map("template", map("CKA_CLASS", "DATA", "CKA_VALUE", "01", "CKA_LABEL", hugeLabel()))),
        400,
        "CKR_ATTRIBUTE_VALUE_INVALID");
    assertRefusedWithoutEcho(
        api.onSession(
            "/keys",
            map(
                "spec",
                map("type", "AES", "bits", 128),
                "template",
                map("CKA_LABEL", hugeLabel()))),
        400,
        "CKR_ATTRIBUTE_VALUE_INVALID");
    long h =
        api.onSession("/keys", map("spec", map("type", "AES", "bits", 128), "template", map()))
            .expect(200)
            .path("handle")
            .asLong();
    assertRefusedWithoutEcho(
        api.send(
            "PATCH",
            "/sessions/" + api.session + "/objects/" + h,
            map("attributes", map("CKA_LABEL", hugeLabel()))),
        400,
        "CKR_ATTRIBUTE_VALUE_INVALID");
  }

  @Test
  void bogusSessionAndOperationIds_areNotRepeated() throws Exception {
    Map<String, Object> sign = map("key", 1, "mechanism", map("name", "CKM_ECDSA"), "data", "AAAA");
    assertRefusedWithoutEcho(
        api.post("/sessions/" + marker + "/sign", sign), 404, "CKR_SESSION_HANDLE_INVALID");
    assertRefusedWithoutEcho(
        api.post("/sessions/" + marker + "x".repeat(1_000) + "/sign", sign),
        404,
        "CKR_SESSION_HANDLE_INVALID");
    assertRefusedWithoutEcho(
        api.send("DELETE", "/sessions/" + marker, null), 404, "CKR_SESSION_HANDLE_INVALID");
    assertRefusedWithoutEcho(
        api.onSession("/operations/" + marker, map("data", "AAAA", "last", true)),
        400,
        "CKR_OPERATION_NOT_INITIALIZED");
    // nor the caller's own session id, in a path or method the API does not have
    Answer wrongMethod = api.send("GET", "/sessions/" + api.session + "/sign", null);
    assertEquals(405, wrongMethod.status(), wrongMethod.body());
    assertFalse(wrongMethod.body().contains(api.session), wrongMethod.body());
    Answer noSuchPath = api.onSession("/" + marker, map());
    assertEquals(404, noSuchPath.status(), noSuchPath.body());
    assertFalse(noSuchPath.body().contains(marker), noSuchPath.body());
    assertFalse(noSuchPath.body().contains(api.session), noSuchPath.body());
  }

  @Test
  void unknownNamesAndValues_areNotRepeated() throws Exception {
    assertRefusedWithoutEcho(
        api.onSession("/objects/find", map("template", map(marker + "x".repeat(10_000), true))),
        400,
        "CKR_ATTRIBUTE_TYPE_INVALID");
    assertRefusedWithoutEcho(
        api.onSession("/objects/find", map("template", map("CKA_CLASS", marker))),
        400,
        "CKR_ATTRIBUTE_VALUE_INVALID");
    assertRefusedWithoutEcho(
        api.onSession("/random", map("length", 4, marker + "x".repeat(10_000), 1)),
        400,
        "CKR_ARGUMENTS_BAD");
    assertRefusedWithoutEcho(
        api.onSession("/login", map("role", marker, "password", "whatever-1")),
        403,
        "CKR_USER_TYPE_INVALID");
    assertRefusedWithoutEcho(
        api.onSession("/sign", map("key", 1, "mechanism", map("name", marker), "data", "AAAA")),
        400,
        "CKR_MECHANISM_INVALID");
    assertRefusedWithoutEcho(
        api.onSession("/keys", map("spec", map("type", marker, "bits", 128))),
        400,
        "CKR_ATTRIBUTE_VALUE_INVALID");
    assertRefusedWithoutEcho(
        api.onSession("/keypairs", map("spec", map("type", "EC", "curve", marker))),
        400,
        "CKR_ATTRIBUTE_VALUE_INVALID");
    assertRefusedWithoutEcho(
        api.onSession(
            "/operations", map("kind", marker, "key", 1, "mechanism", map("name", "CKM_ECDSA"))),
        400,
        "CKR_ARGUMENTS_BAD");
    assertRefusedWithoutEcho(
        api.post("/sessions", map("keyring", marker)), 404, "CKR_SLOT_ID_INVALID");
  }

  /** The extraction the key model closes, over the wire: derive with my peer key, then wrap. */
  @Test
  void keyDerivedWithTheCallersPeerKey_cannotWrap_overTheCryptoApi() throws Exception {
    long agreement =
        api.onSession(
                "/keypairs",
                map(
                    "spec",
                    map("type", "EC", "curve", "P-256"),
                    "publicTemplate",
                    map(),
                    "privateTemplate",
                    map("CKA_SIGN", false)))
            .expect(200)
            .path("privateKey")
            .path("handle")
            .asLong();
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    String peer = Base64.getEncoder().encodeToString(g.generateKeyPair().getPublic().getEncoded());
    Map<String, Object> ecdh = map("name", "CKM_ECDH1_DERIVE", "peerPublicKey", peer);

    Answer asKek =
        api.onSession(
            "/derive",
            map(
                "baseKey",
                agreement,
                "mechanism",
                ecdh,
                "template",
                map("CKA_KEY_TYPE", "AES", "CKA_WRAP", true)));
    assertEquals(400, asKek.status(), asKek.body());
    assertEquals("CKR_TEMPLATE_INCONSISTENT", asKek.code());

    long known =
        api.onSession(
                "/derive",
                map(
                    "baseKey",
                    agreement,
                    "mechanism",
                    ecdh,
                    "template",
                    map("CKA_KEY_TYPE", "AES")))
            .expect(200)
            .path("handle")
            .asLong();
    long secret =
        api.onSession("/keys", map("spec", map("type", "AES", "bits", 256), "template", map()))
            .expect(200)
            .path("handle")
            .asLong();
    for (Map<String, Object> mechanism :
        List.of(
            map("name", "CKM_AES_KEY_WRAP_KWP"),
            map("name", "CKM_RSA_PKCS_OAEP", "hash", "SHA-256", "mgfHash", "SHA-256"))) {
      Answer wrap =
          api.onSession("/wrap", map("wrappingKey", known, "mechanism", mechanism, "key", secret));
      assertTrue(wrap.status() == 403 || wrap.status() == 400, wrap.body());
      assertTrue(
          List.of("CKR_KEY_FUNCTION_NOT_PERMITTED", "CKR_MECHANISM_INVALID").contains(wrap.code()),
          wrap.body());
      assertFalse(wrap.body().contains("\"data\""), wrap.body());
    }
    // a signing key (CKA_SIGN, the default) does not derive at all
    long signing =
        api.onSession(
                "/keypairs",
                map(
                    "spec",
                    map("type", "EC", "curve", "P-256"),
                    "publicTemplate",
                    map(),
                    "privateTemplate",
                    map()))
            .expect(200)
            .path("privateKey")
            .path("handle")
            .asLong();
    Answer derive =
        api.onSession(
            "/derive",
            map("baseKey", signing, "mechanism", ecdh, "template", map("CKA_KEY_TYPE", "AES")));
    assertEquals(403, derive.status(), derive.body());
    assertEquals("CKR_KEY_FUNCTION_NOT_PERMITTED", derive.code());
  }
}
