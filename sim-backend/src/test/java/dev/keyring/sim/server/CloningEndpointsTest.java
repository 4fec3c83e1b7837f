package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.sim.hsm.Hsm;
import java.net.http.HttpClient;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crypto API's cloning resources between two real members of two clusters (one cloning domain),
 * over mutual TLS on loopback: a key cloned from A to B signs on B what verifies on A; the HSM's
 * and partition's policies and the cloning domain are checked with the rule named; a keyring whose
 * partition forbids key management still receives clones.
 */
class CloningEndpointsTest {
  @TempDir Path dir;

  private CryptoTestMember a;
  private CryptoTestMember b;
  private HttpClient httpA;
  private HttpClient httpB;
  private String sessionA;
  private String sessionB;

  @BeforeEach
  void start() throws Exception {
    a = CryptoTestMember.start(dir.resolve("a"), x -> {});
    b = CryptoTestMember.start(dir.resolve("b"), x -> {});
    httpA = a.crypto(HttpClient.Version.HTTP_1_1);
    httpB = b.crypto(HttpClient.Version.HTTP_1_1);
    sessionA = a.openSession(httpA);
    sessionB = b.openSession(httpB);
  }

  @AfterEach
  void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  private JsonNode offerOfB() throws Exception {
    CryptoTestMember.Answer offer =
        b.send(httpB, "GET", "/sessions/" + sessionB + "/cloning", null);
    assertEquals(200, offer.status(), offer.body());
    return offer.json();
  }

  private CryptoTestMember.Answer cloneOut(JsonNode offer) throws Exception {
    ObjectNode body = WireJson.mapper().createObjectNode();
    body.put("handle", a.signingKey);
    body.set("offer", offer);
    return a.post(httpA, "/sessions/" + sessionA + "/cloning/out", body.toString());
  }

  private CryptoTestMember.Answer cloneIn(String bundle) throws Exception {
    return b.post(
        httpB, "/sessions/" + sessionB + "/cloning/in", "{\"bundle\":\"" + bundle + "\"}");
  }

  @Test
  void keyClonedFromAtoB_signsOnB_whatVerifiesOnA_andKeepsItsObjectId() throws Exception {
    JsonNode offer = offerOfB();
    assertTrue(KeyringSerial.isSerial(offer.path("serialNumber").asText()), offer.toString());
    assertEquals(1, offer.path("hsmPolicies").path("7").asInt());
    assertEquals(1, offer.path("hsmPolicies").path("16").asInt());
    assertEquals(1, offer.path("partitionPolicies").path("0").asInt());
    assertEquals(1, offer.path("partitionPolicies").path("4").asInt());
    assertNotEquals(
        a.member.appliance().cluster().orElseThrow().id().toString(),
        offer.path("clusterId").asText());

    CryptoTestMember.Answer out = cloneOut(offer);
    assertEquals(200, out.status(), out.body());
    CryptoTestMember.Answer in = cloneIn(out.json().path("bundle").asText());
    assertEquals(200, in.status(), in.body());
    long handleOnB = in.json().path("handle").asLong();

    CryptoTestMember.Answer sig =
        b.post(
            httpB,
            "/sessions/" + sessionB + "/sign",
            "{\"key\":"
                + handleOnB
                + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":\"AAECAwQFBgc=\"}");
    assertEquals(200, sig.status(), sig.body());
    CryptoTestMember.Answer verify =
        a.post(
            httpA,
            "/sessions/" + sessionA + "/verify",
            "{\"key\":"
                + a.signingKey
                + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":\"AAECAwQFBgc=\","
                + "\"signature\":\""
                + sig.json().path("data").asText()
                + "\"}");
    assertEquals(200, verify.status(), verify.body());
    assertTrue(verify.json().path("valid").asBoolean(), verify.body());

    String idOnA = objectId(a, httpA, sessionA, a.signingKey);
    assertEquals(idOnA, objectId(b, httpB, sessionB, handleOnB));
  }

  /**
   * What {@code hagroup addmember} does to a member of another cluster: objects cloned in, never
   * the SMK. The target cluster keeps its own SMK, and the keys it held before still sign.
   */
  @Test
  void cloningIntoAClusterWithAnotherSmk_keepsItsSmk_andItsExistingKeysSign() throws Exception {
    String smkA = a.member.appliance().boundary().smkFingerprint();
    String smkB = b.member.appliance().boundary().smkFingerprint();
    assertNotEquals(smkA, smkB);
    int before = objectCount(b);
    CryptoTestMember.Answer sigBefore =
        b.post(httpB, "/sessions/" + sessionB + "/sign", b.signRequest());
    assertEquals(200, sigBefore.status(), sigBefore.body());

    CryptoTestMember.Answer out = cloneOut(offerOfB());
    assertEquals(200, out.status(), out.body());
    assertEquals(200, cloneIn(out.json().path("bundle").asText()).status());

    assertEquals(smkB, b.member.appliance().boundary().smkFingerprint());
    assertEquals(smkB, b.member.appliance().hsm().partition().orElseThrow().smkFingerprint());
    assertEquals(smkA, a.member.appliance().boundary().smkFingerprint());
    assertEquals(before + 1, objectCount(b));
    CryptoTestMember.Answer sig = b.post(httpB, "/sessions/" + sessionB + "/sign", b.signRequest());
    assertEquals(200, sig.status(), sig.body());
    CryptoTestMember.Answer verify =
        b.post(
            httpB,
            "/sessions/" + sessionB + "/verify",
            "{\"key\":"
                + b.signingKey
                + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":\"AAECAwQFBgc=\","
                + "\"signature\":\""
                + sigBefore.json().path("data").asText()
                + "\"}");
    assertEquals(200, verify.status(), verify.body());
    assertTrue(verify.json().path("valid").asBoolean(), verify.body());
  }

  @Test
  void targetOfAnotherCloningDomain_isRefusedBeforeAnythingIsEncrypted() throws Exception {
    ObjectNode offer = (ObjectNode) offerOfB();
    offer.put("cloningDomain", "0123456789abcdef0123456789abcdef");
    CryptoTestMember.Answer out = cloneOut(offer);
    assertEquals("CKR_FUNCTION_REJECTED", out.code(), out.body());
    assertTrue(out.body().contains("cloning domain"), out.body());
  }

  @Test
  void hsmPolicy7Off_onTheSource_refusesCloningOut() throws Exception {
    a.member.appliance().hsm().setPolicy(AdminTestSupport.SO, Hsm.POLICY_CLONING, 0);
    CryptoTestMember.Answer out = cloneOut(offerOfB());
    assertEquals("CKR_FUNCTION_REJECTED", out.code(), out.body());
    assertTrue(out.body().contains("HSM policy 7 (allow cloning)"), out.body());
  }

  @Test
  void partitionPolicy0Off_onTheTarget_refusesAPrivateKey_andStoresNothing() throws Exception {
    JsonNode offer = offerOfB();
    b.member
        .appliance()
        .hsm()
        .setPartitionPolicy(AdminTestSupport.PO, Hsm.POLICY_PRIVATE_KEY_CLONING, 0);
    CryptoTestMember.Answer out = cloneOut(offer);
    assertEquals(200, out.status(), out.body());
    int before = objectCount(b);
    CryptoTestMember.Answer in = cloneIn(out.json().path("bundle").asText());
    assertEquals("CKR_FUNCTION_REJECTED", in.code(), in.body());
    assertTrue(in.body().contains("partition policy 0 (allow private key cloning)"), in.body());
    assertEquals(before, objectCount(b));
  }

  @Test
  void keyManagementForbidden_onTheTarget_stillReceivesClones_butGeneratesNothing()
      throws Exception {
    b.member
        .appliance()
        .hsm()
        .setPartitionPolicy(AdminTestSupport.PO, Hsm.POLICY_KEY_MANAGEMENT, 0);
    CryptoTestMember.Answer generate =
        b.post(
            httpB,
            "/sessions/" + sessionB + "/keys",
            "{\"spec\":{\"type\":\"AES\",\"bits\":256},\"template\":{\"CKA_LABEL\":\"k\"}}");
    assertEquals("CKR_FUNCTION_REJECTED", generate.code(), generate.body());
    assertTrue(generate.body().contains("partition policy 28"), generate.body());

    CryptoTestMember.Answer out = cloneOut(offerOfB());
    CryptoTestMember.Answer in = cloneIn(out.json().path("bundle").asText());
    assertEquals(200, in.status(), in.body());
  }

  @Test
  void malformedBundle_isRefusedWithTheRule() throws Exception {
    CryptoTestMember.Answer in = cloneIn("AAAA");
    assertEquals("CKR_ARGUMENTS_BAD", in.code(), in.body());
    assertTrue(in.body().contains("object clone could not be opened"), in.body());
    CryptoTestMember.Answer missing = b.post(httpB, "/sessions/" + sessionB + "/cloning/in", "{}");
    assertEquals("CKR_ARGUMENTS_BAD", missing.code(), missing.body());
  }

  private static String objectId(CryptoTestMember m, HttpClient http, String session, long handle)
      throws Exception {
    CryptoTestMember.Answer list =
        m.send(http, "GET", "/sessions/" + session + "/cloning/objects", null);
    assertEquals(200, list.status(), list.body());
    for (JsonNode o : list.json().path("objects")) {
      if (o.path("handle").asLong() == handle) {
        return o.path("objectId").asText();
      }
    }
    throw new AssertionError("handle " + handle + " is not listed: " + list.body());
  }

  private static int objectCount(CryptoTestMember m) {
    return m.member
        .appliance()
        .store()
        .objectCount(m.member.appliance().keyrings().keyring(CryptoTestMember.KEYRING).id());
  }
}
