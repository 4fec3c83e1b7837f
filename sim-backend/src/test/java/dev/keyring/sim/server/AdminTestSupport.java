package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.ApplianceConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Members started for admin API tests, and the REST calls that provision them. */
final class AdminTestSupport {
  static final String ADMIN = "admin";
  static final String ADMIN_PW = "admin-password-1";
  static final String SO = "so-password-1";
  static final String PO = "po-password-1";
  static final String CO_INITIAL = "co-initial-1";
  static final String CO = "co-password-1";
  static final String PARTITION = "clusterpar";
  static final String DOMAIN = "test-cloning-domain";

  private AdminTestSupport() {}

  static Member start(Path dir) throws Exception {
    return Member.start(
        MemberConfig.builder()
            .appliance(ApplianceConfig.builder().dataDir(dir).kdfIterations(1000).build())
            .adminPort(0)
            .cryptoPort(0)
            .initialAdminPassword(ADMIN_PW)
            .build());
  }

  static List<Map<String, Object>> auth(String type, String password) {
    return List.of(Map.of("type", type, "password", password));
  }

  static List<Map<String, Object>> co() {
    return List.of(Map.of("type", "CO", "password", CO, "partitionLabel", PARTITION));
  }

  /** The HSM's id (its serial number). */
  static String hsmId(AdminClient c) {
    return c.call("GET", "/api/lunasa/hsms")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(200)
        .json()
        .path("data")
        .get(0)
        .path("hsmid")
        .asText();
  }

  /** HSM, partition, PO, policy 40 = 0, CO initialized and changed: ready for a cluster. */
  static void prepareHsm(AdminClient c) {
    String hsm = "/api/lunasa/hsms/" + hsmId(c);
    String par = hsm + "/partitions/" + PARTITION;
    c.call("PUT", hsm)
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("label", "hsm1", "password", SO))
        .send()
        .expect(200);
    c.call("POST", hsm + "/partitions")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("authentication", auth("SO", SO), "label", PARTITION, "version", "V1"))
        .send()
        .expect(201);
    c.call("PUT", par)
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("authentication", auth("SO", SO), "password", PO, "domain", DOMAIN))
        .send()
        .expect(200);
    c.call("PUT", par + "/policies/40")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("authentication", auth("PO", PO), "value", 0))
        .send()
        .expect(200);
    c.call("PUT", par + "/roles/co")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("authentication", auth("PO", PO), "password", CO_INITIAL))
        .send()
        .expect(200);
    c.call("PATCH", par + "/roles/co")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("authentication", auth("CO", CO_INITIAL), "newPassword", CO))
        .send()
        .expect(200);
  }

  /** Creates the cluster; returns its UUID. */
  static String createCluster(AdminClient c, String label) {
    return c.call("POST", "/api/clusters")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("authentication", auth("SO", SO), "clusterLabel", label))
        .send()
        .expect(201)
        .json()
        .path("clusterUUID")
        .asText();
  }

  /** The local member's id. */
  static String memberId(AdminClient c, String cluster) {
    AdminClient.Reply r =
        c.call("GET", "/api/clusters/" + cluster + "/members")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200);
    assertEquals(1, r.json().path("data").size());
    return r.json().path("data").get(0).path("memberID").asText();
  }

  static void authorize(AdminClient c, String cluster, String member) {
    AdminClient.Reply r =
        c.call("PUT", "/api/clusters/" + cluster + "/members/" + member)
            .as(ADMIN, ADMIN_PW)
            .json(Map.of("action", "authorize", "authentication", co()))
            .send()
            .expect(200);
    assertTrue(r.json().path("authorized").asBoolean());
  }

  /** Everything up to an authorized member of a new cluster; returns the cluster UUID. */
  static String provision(AdminClient c) {
    prepareHsm(c);
    String cluster = createCluster(c, "test-cluster");
    authorize(c, cluster, memberId(c, cluster));
    return cluster;
  }

  /** Sets a built-in or custom user's password as admin. */
  static void setPassword(AdminClient c, String user, String password) {
    c.call("PATCH", "/users/" + user)
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("password", password))
        .send()
        .expect(200);
  }
}
