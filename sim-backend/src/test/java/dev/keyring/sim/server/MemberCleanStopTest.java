package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.admin.Provisioning;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clean-stop marker: a member stopped through its normal path keeps its authorization; a lone
 * member that starts again after a crash (its store as a crash leaves it: everything committed, no
 * marker) is not authorized, refuses keyring changes and backups with a message that says how to
 * authorize it, keeps every keyring, and works again once the operator authorizes it. A crash at
 * any point of the start or of the marker's write never leaves it authorized.
 */
class MemberCleanStopTest {
  @TempDir Path dir;

  private String cluster;
  private String memberId;

  /** A provisioned, authorized member of a new cluster with keyrings app1 and app2. */
  private void provision() throws Exception {
    try (Member m = AdminTestSupport.start(dir)) {
      AdminRestClient c = rest(m);
      cluster = AdminTestSupport.provision(c);
      memberId = Provisioning.localMemberId(c, cluster);
      Provisioning.createKeyrings(c, "app", "keyring-initial-1", 2, 1);
    }
  }

  private static AdminRestClient rest(Member m) {
    return new AdminRestClient(m.adminPort(), m.adminCertificate());
  }

  /** What {@code kill -9} leaves of a member that ran: its store, without the clean-stop marker. */
  private void asACrashLeavesIt() {
    try (KeyringStore s = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")))) {
      s.write(tx -> tx.deleteHsmState(ClusterServiceState.CLEAN_STOP_KEY));
    }
  }

  private boolean markerPresent() {
    try (KeyringStore s = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")))) {
      return s.hsmState(ClusterServiceState.CLEAN_STOP_KEY).isPresent();
    }
  }

  private JsonNode self(Member m) {
    JsonNode list =
        rest(m)
            .call("GET", "/api/clusters/" + cluster + "/members")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data");
    assertEquals(1, list.size(), list::toString);
    return list.get(0);
  }

  private AdminRestClient.Reply createKeyring(Member m, String label) {
    return rest(m)
        .call("POST", "/api/keyrings")
        .as(ADMIN, ADMIN_PW)
        .json(
            Map.of(
                "authentication",
                AdminTestSupport.co(),
                "keyRingLabel",
                label,
                "keyRingPassword",
                "keyring-initial-1"))
        .send();
  }

  private AdminRestClient.Reply backup(Member m) {
    return rest(m)
        .call("PUT", "/api/clusters/" + cluster + "/backup")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("action", "run", "filename", "b1", "password", "backup-password-1"))
        .send();
  }

  @Test
  void aCleanStop_keepsTheAuthorization() throws Exception {
    provision();
    assertTrue(markerPresent(), "written by the clean stop");
    try (Member m = AdminTestSupport.start(dir)) {
      JsonNode self = self(m);
      assertTrue(self.path("authorized").asBoolean(), self::toString);
      assertTrue(self.path("memberActive").asBoolean(), self::toString);
      assertEquals(201, createKeyring(m, "after-clean-stop").status());
    }
  }

  @Test
  void aLoneMemberBackFromACrash_isNotAuthorized_untilTheOperatorAuthorizesIt() throws Exception {
    provision();
    asACrashLeavesIt();
    try (Member m = AdminTestSupport.start(dir)) {
      assertFalse(markerPresent(m), "the start consumed it");
      JsonNode self = self(m);
      assertFalse(self.path("authorized").asBoolean(), self::toString);
      assertFalse(self.path("memberActive").asBoolean(), self::toString);

      AdminRestClient.Reply refused = createKeyring(m, "refused");
      assertEquals(409, refused.status(), refused.body());
      assertTrue(refused.body().contains("CKR_FUNCTION_FAILED"), refused.body());
      assertTrue(refused.message().contains("is not authorized"), refused.message());
      assertTrue(refused.message().contains("started again after it failed"), refused.message());
      assertTrue(
          refused.message().contains("keyring-sim cluster member authorize -memberid " + memberId),
          refused.message());
      assertTrue(
          refused.message().contains("PUT /api/clusters/" + cluster + "/members/" + memberId),
          refused.message());
      AdminRestClient.Reply noBackup = backup(m);
      assertEquals(409, noBackup.status(), noBackup.body());
      assertTrue(noBackup.message().contains("is not authorized"), noBackup.message());

      // reads go on: the keyrings are there
      assertEquals(2, m.appliance().store().keyringCount());

      AdminTestSupport.authorize(rest(m), cluster, memberId);
      self = self(m);
      assertTrue(self.path("authorized").asBoolean(), self::toString);
      assertTrue(self.path("memberActive").asBoolean(), self::toString);
      assertEquals(201, createKeyring(m, "after-authorize").status());
      assertEquals(200, backup(m).status());
      assertEquals(3, m.appliance().store().keyringCount(), "nothing lost, one more");
    }
    // authorized again by the operator, then stopped cleanly: it stays authorized
    try (Member m = AdminTestSupport.start(dir)) {
      assertTrue(self(m).path("authorized").asBoolean());
    }
  }

  @Test
  void aCrashAfterTheStartConsumedTheMarker_orBeforeTheStopWroteIt_losesTheAuthorization()
      throws Exception {
    provision();
    // started cleanly (the marker is consumed in the start's transaction), then killed before
    // its stop could write the marker again: the store as that leaves it
    try (Member m = AdminTestSupport.start(dir)) {
      assertTrue(self(m).path("authorized").asBoolean());
      assertFalse(markerPresent(m));
    }
    asACrashLeavesIt();
    try (Member m = AdminTestSupport.start(dir)) {
      assertFalse(self(m).path("authorized").asBoolean(), "never authorized after a crash");
      // stopped again without being authorized: the clean stop keeps it unauthorized
    }
    try (Member m = AdminTestSupport.start(dir)) {
      assertFalse(self(m).path("authorized").asBoolean(), "a clean stop does not authorize");
      AdminRestClient.Reply refused = createKeyring(m, "refused");
      assertEquals(409, refused.status(), refused.body());
    }
  }

  @Test
  void aStopWhoseMarkerWriteFails_countsAsACrash() throws Exception {
    provision();
    Member m = AdminTestSupport.start(dir);
    // the store fails under the stop (as a database gone at that moment): no marker is written,
    // and the stop still ends
    m.appliance().store().close();
    m.close();
    assertFalse(markerPresent());
    try (Member again = AdminTestSupport.start(dir)) {
      assertFalse(self(again).path("authorized").asBoolean());
    }
  }

  private static boolean markerPresent(Member m) {
    return m.appliance().store().hsmState(ClusterServiceState.CLEAN_STOP_KEY).isPresent();
  }
}
