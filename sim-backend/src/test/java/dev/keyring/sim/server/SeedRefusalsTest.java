package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.sim.server.CryptoApiClient.Answer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two rules of the administration guide over the crypto API: a keyring object carries only the 14
 * attributes the guide lists (every other PKCS#11 attribute is refused by name, and nothing is
 * created), and the keyring roles are not the partition's (the partition PO and CO passwords do not
 * log in to a keyring). One member serves the whole class; each test leaves the KRCO logged in.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeedRefusalsTest {
  @TempDir static Path dir;
  private Member member;
  private CryptoApiClient api;

  @BeforeAll
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    api = new CryptoApiClient(member, "rules");
  }

  @AfterAll
  void stop() throws Exception {
    try {
      api.close();
    } finally {
      member.close();
    }
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private int objectCount() throws Exception {
    JsonNode found = api.onSession("/objects/find", map("template", map())).expect(200);
    return found.path("objects").size();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "CKA_EXTRACTABLE",
        "CKA_SENSITIVE",
        "CKA_DERIVE",
        "CKA_ENCRYPT",
        "CKA_VERIFY",
        "CKA_PRIVATE",
        "CKA_MODIFIABLE",
        "CKA_ALWAYS_SENSITIVE",
        "CKA_NEVER_EXTRACTABLE",
        "CKA_VALUE_LEN",
        "CKA_SIGN_RECOVER",
        "CKA_VERIFY_RECOVER",
        "CKA_TRUSTED",
        "CKA_WRAP_WITH_TRUSTED",
        "CKA_SUBJECT",
        "CKA_START_DATE",
        "CKA_END_DATE",
        "CKA_APPLICATION",
        "CKA_MODULUS_BITS",
        "CKA_LOCAL"
      })
  void anAttributeOutsideTheGuidesFourteen_isRefusedByName_andNothingIsCreated(String name)
      throws Exception {
    int before = objectCount();
    Map<String, Object> template = map("CKA_CLASS", "DATA", "CKA_VALUE", "01", name, true);

    Answer created = api.onSession("/objects", map("template", template));
    assertEquals(400, created.status(), created.body());
    assertEquals("CKR_ATTRIBUTE_TYPE_INVALID", created.code(), created.body());
    assertTrue(created.body().contains("'" + name + "'"), "names the attribute: " + created.body());
    assertTrue(created.body().contains("CKA_LABEL"), "lists the allowed ones: " + created.body());

    Answer found = api.onSession("/objects/find", map("template", map(name, true)));
    assertEquals(400, found.status(), found.body());
    assertEquals("CKR_ATTRIBUTE_TYPE_INVALID", found.code(), found.body());

    assertEquals(before, objectCount(), "nothing created");
  }

  @Test
  void thePartitionsPoAndCoPasswords_doNotLogInToAKeyring() throws Exception {
    api.onSession("/logout", null).expect(204);
    for (String[] attempt :
        new String[][] {{"co", AdminTestSupport.CO}, {"po", AdminTestSupport.PO}}) {
      Answer a = api.onSession("/login", map("role", attempt[0], "password", attempt[1]));
      assertEquals("CKR_PIN_INCORRECT", a.code(), attempt[0] + ": " + a.body());
    }
    // the keyring's own password still works: the roles are the keyring's
    api.onSession("/login", map("role", "co", "password", CryptoApiClient.PASSWORD)).expect(204);
  }
}
