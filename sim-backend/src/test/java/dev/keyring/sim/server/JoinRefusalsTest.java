package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member's side of a join, refused as the administration guide has it: members join one at a
 * time (a second join while one is in progress is refused, naming it), a join is completed only by
 * the joiner that began it, and a name already in the cluster cannot join again (it must be deleted
 * and factory-reset first). Each refusal leaves the membership as it was.
 */
class JoinRefusalsTest {
  @TempDir Path dir;

  private static Map<String, Object> request(Member m, String joiner) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("joinerName", joiner);
    body.put(
        "joinerPublicKey",
        Base64.getEncoder().encodeToString(g.generateKeyPair().getPublic().getEncoded()));
    body.put("cloningDomainFingerprint", m.appliance().hsm().cloningDomainFingerprint());
    body.put("clockMillis", System.currentTimeMillis());
    return body;
  }

  @Test
  void oneJoinAtATime_completedOnlyByItsJoiner_andNoNameTwice() throws Exception {
    try (Member m = AdminTestSupport.start(dir)) {
      AdminRestClient c = new AdminRestClient(m.adminPort(), m.adminCertificate());
      String cluster = AdminTestSupport.provision(c);
      String path = "/api/clusters/" + cluster + "/join-requests";
      int members = members(c, cluster);

      c.call("POST", path).as(ADMIN, ADMIN_PW).json(request(m, "LNH-1111111")).send().expect(200);

      AdminRestClient.Reply second =
          c.call("POST", path).as(ADMIN, ADMIN_PW).json(request(m, "LNH-2222222")).send();
      assertEquals(409, second.status(), second.body());
      assertTrue(second.message().contains("another join is in progress"), second.body());
      assertTrue(second.message().contains("LNH-1111111"), "names the join: " + second.body());

      Map<String, Object> complete = new LinkedHashMap<>();
      complete.put("memberId", "00000000-0000-0000-0000-000000000002");
      complete.put("name", "LNH-2222222");
      complete.put("cryptoAddress", "127.0.0.1:1");
      complete.put("adminAddress", "127.0.0.1:2");
      complete.put("certFingerprint", "00");
      AdminRestClient.Reply notBegun =
          c.call("POST", path + "/complete").as(ADMIN, ADMIN_PW).json(complete).send();
      assertEquals(409, notBegun.status(), notBegun.body());
      assertTrue(
          notBegun.message().contains("no join of that member is in progress"), notBegun.body());

      String self = m.appliance().defaultMemberName();
      AdminRestClient.Reply again =
          c.call("POST", path).as(ADMIN, ADMIN_PW).json(request(m, self)).send();
      assertEquals(409, again.status(), again.body());
      assertTrue(again.message().contains("is already a member"), again.body());
      assertTrue(again.message().contains("factory-reset"), again.body());

      assertEquals(members, members(c, cluster), "the membership is as it was");
    }
  }

  private static int members(AdminRestClient c, String cluster) {
    return c.call("GET", "/api/clusters/" + cluster + "/members")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(200)
        .json()
        .path("data")
        .size();
  }
}
