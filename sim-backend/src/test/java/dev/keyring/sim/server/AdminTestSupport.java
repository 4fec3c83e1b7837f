package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.sim.ApplianceConfig;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.admin.Provisioning;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Members started for admin API tests, and the REST calls that provision them. */
final class AdminTestSupport {
  static final String ADMIN = Provisioning.ADMIN;
  static final String ADMIN_PW = Provisioning.ADMIN_PW;
  static final String SO = Provisioning.SO;
  static final String PO = Provisioning.PO;
  static final String CO_INITIAL = Provisioning.CO_INITIAL;
  static final String CO = Provisioning.CO;
  static final String PARTITION = Provisioning.PARTITION;
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
    return AdminRestClient.auth(type, password);
  }

  static List<Map<String, Object>> co() {
    return AdminRestClient.auth("CO", CO, PARTITION);
  }

  /** The HSM's id (its serial number). */
  static String hsmId(AdminRestClient c) {
    return Provisioning.hsmId(c);
  }

  /** HSM, partition, PO, policy 40 = 0, CO initialized and changed: ready for a cluster. */
  static void prepareHsm(AdminRestClient c) {
    Provisioning.prepareHsm(c, "hsm1", DOMAIN);
  }

  /** Creates the cluster; returns its UUID. */
  static String createCluster(AdminRestClient c, String label) {
    return Provisioning.createCluster(c, label).path("clusterUUID").asText();
  }

  /** The local member's id, the only member of {@code cluster}. */
  static String memberId(AdminRestClient c, String cluster) {
    assertEquals(
        1,
        c.call("GET", "/api/clusters/" + cluster + "/members")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data")
            .size());
    return Provisioning.localMemberId(c, cluster);
  }

  static void authorize(AdminRestClient c, String cluster, String member) {
    Provisioning.authorize(c, cluster, member);
  }

  /** Everything up to an authorized member of a new cluster; returns the cluster UUID. */
  static String provision(AdminRestClient c) {
    return Provisioning.provision(c, "hsm1", DOMAIN, "test-cluster").path("clusterUUID").asText();
  }

  /** Creates a cluster on a prepared HSM and authorizes its member; returns the cluster UUID. */
  static String provisionCluster(AdminRestClient c, String label) {
    String cluster = createCluster(c, label);
    authorize(c, cluster, memberId(c, cluster));
    return cluster;
  }

  /** Sets a built-in or custom user's password as admin. */
  static void setPassword(AdminRestClient c, String user, String password) {
    c.call("PATCH", "/users/" + user)
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("password", password))
        .send()
        .expect(200);
  }
}
