package dev.keyring.testing.admin;

import static dev.keyring.testing.admin.AdminRestClient.auth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * The admin REST calls that take a member from first start to an authorized member of a cluster, as
 * an operator makes them: HSM, V1 partition in a cloning domain, PO, policy 40 = 0, CO with a
 * changed password; then a new cluster, and the member authorized in it.
 */
public final class Provisioning {
  public static final String ADMIN = "admin";
  public static final String ADMIN_PW = "admin-password-1";
  public static final String SO = "so-password-1";
  public static final String PO = "po-password-1";
  public static final String CO_INITIAL = "co-initial-1";
  public static final String CO = "co-password-1";
  public static final String PARTITION = "clusterpar";

  private Provisioning() {}

  /** The HSM's id (its serial number). */
  public static String hsmId(AdminRestClient c) {
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

  /** HSM {@code hsmLabel}, partition, PO, policy 40 = 0, CO initialized and changed. */
  public static void prepareHsm(AdminRestClient c, String hsmLabel, String domain) {
    String hsm = "/api/lunasa/hsms/" + hsmId(c);
    String par = hsm + "/partitions/" + PARTITION;
    c.send("PUT", hsm, ADMIN, ADMIN_PW, Map.of("label", hsmLabel, "password", SO)).expect(200);
    c.send(
            "POST",
            hsm + "/partitions",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("SO", SO), "label", PARTITION, "version", "V1"))
        .expect(201);
    c.send(
            "PUT",
            par,
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("SO", SO), "password", PO, "domain", domain))
        .expect(200);
    c.send(
            "PUT",
            par + "/policies/40",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("PO", PO), "value", 0))
        .expect(200);
    c.send(
            "PUT",
            par + "/roles/co",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("PO", PO), "password", CO_INITIAL))
        .expect(200);
    c.send(
            "PATCH",
            par + "/roles/co",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("CO", CO_INITIAL), "newPassword", CO))
        .expect(200);
  }

  /** Creates a cluster labelled {@code label} on this member; its answer (clusterUUID, ...). */
  public static JsonNode createCluster(AdminRestClient c, String label) {
    return c.send(
            "POST",
            "/api/clusters",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("SO", SO), "clusterLabel", label))
        .expect(201)
        .json();
  }

  /** The id of the member answering, as it lists itself in {@code cluster}. */
  public static String localMemberId(AdminRestClient c, String cluster) {
    for (JsonNode m :
        c.send("GET", "/api/clusters/" + cluster + "/members", ADMIN, ADMIN_PW, null)
            .expect(200)
            .json()
            .path("data")) {
      if (m.path("local").asBoolean()) {
        return m.path("memberID").asText();
      }
    }
    throw new AssertionError("no local member in the member list of cluster " + cluster);
  }

  /** Authorizes member {@code member} of {@code cluster} as the CO. */
  public static void authorize(AdminRestClient c, String cluster, String member) {
    JsonNode r =
        c.send(
                "PUT",
                "/api/clusters/" + cluster + "/members/" + member,
                ADMIN,
                ADMIN_PW,
                Map.of("action", "authorize", "authentication", auth("CO", CO, PARTITION)))
            .expect(200)
            .json();
    assertTrue(r.path("authorized").asBoolean(), r::toString);
  }

  /** Everything up to an authorized member of a new cluster; returns the cluster's answer. */
  public static JsonNode provision(
      AdminRestClient c, String hsmLabel, String domain, String clusterLabel) {
    prepareHsm(c, hsmLabel, domain);
    JsonNode created = createCluster(c, clusterLabel);
    String cluster = created.path("clusterUUID").asText();
    assertEquals(36, cluster.length(), created::toString);
    authorize(c, cluster, localMemberId(c, cluster));
    return created;
  }

  /**
   * Creates {@code total} keyrings labelled {@code label + index...} with initial password {@code
   * password}, as the CO.
   */
  public static void createKeyrings(
      AdminRestClient c, String label, String password, int total, int index) {
    c.send(
            "POST",
            "/api/keyrings",
            ADMIN,
            ADMIN_PW,
            Map.of(
                "authentication",
                auth("CO", CO, PARTITION),
                "keyRingLabel",
                label,
                "keyRingPassword",
                password,
                "total",
                total,
                "index",
                index))
        .expect(201);
  }
}
