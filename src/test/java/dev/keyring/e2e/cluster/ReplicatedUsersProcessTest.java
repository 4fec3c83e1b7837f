package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.admin.Provisioning;
import dev.keyring.testing.cluster.ClusterHarness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appliance users after a join are cluster state (issue 12, F7), with two members as their own
 * JVMs: a user created, enabled, re-passworded or deleted through one member is so on the other; a
 * password rotated on one member is refused on the other. Each step prints what each member
 * answered.
 */
@Timeout(300)
class ReplicatedUsersProcessTest {
  private static final Duration SETTLE = Duration.ofSeconds(40);
  private static final String ADMIN = Provisioning.ADMIN;
  private static final String ADMIN_PW = Provisioning.ADMIN_PW;

  private static int login(ClusterHarness h, int member, String user, String password) {
    return h.member(member).rest().call("POST", "/auth/session").as(user, password).send().status();
  }

  private static AdminRestClient.Reply asAdmin(
      ClusterHarness h, int member, String method, String path, Object body) {
    AdminRestClient.Call call = h.member(member).rest().call(method, path).as(ADMIN, ADMIN_PW);
    return (body == null ? call : call.json(body)).send();
  }

  @Test
  void userChangesThroughEitherMember_holdOnTheOther(@TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 2, 2)) {
      ClusterHarness.await(
          "member 1 read-write", SETTLE, () -> "Read-Write".equals(h.state(1).mode()));

      // created through member 1, logs in on member 0
      asAdmin(
              h,
              1,
              "POST",
              "/users",
              Map.of("userId", "alice", "role", "operator", "password", "alice-password-1"))
          .expect(201);
      assertEquals(204, login(h, 0, "alice", "alice-password-1"));

      // a built-in user enabled through member 0 logs in on member 1
      asAdmin(h, 0, "PATCH", "/users/monitor", Map.of("password", "monitor-password-1"))
          .expect(200);
      assertEquals(204, login(h, 1, "monitor", "monitor-password-1"));

      // a password rotated on member 0 is refused on member 1, the new one accepted
      asAdmin(h, 0, "PATCH", "/users/alice", Map.of("password", "alice-password-2")).expect(200);
      int oldOn1 = login(h, 1, "alice", "alice-password-1");
      int newOn1 = login(h, 1, "alice", "alice-password-2");
      assertEquals(401, oldOn1);
      assertEquals(204, newOn1);

      // deleted through member 1, gone on member 0
      asAdmin(h, 1, "DELETE", "/users/alice", null).expect(204);
      int deletedOn0 = login(h, 0, "alice", "alice-password-2");
      assertEquals(401, deletedOn0);
      assertEquals(404, asAdmin(h, 0, "GET", "/users/alice", null).status());
      assertEquals(
          asAdmin(h, 0, "GET", "/users", null).expect(200).json(),
          asAdmin(h, 1, "GET", "/users", null).expect(200).json());
      System.out.printf(
          "replicated users: created on member 1 -> login on member 0 ok; password rotated on"
              + " member 0 -> old one on member 1: %d, new one: %d; deleted on member 1 -> login"
              + " on member 0: %d%n",
          oldOn1, newOn1, deletedOn0);
    }
  }
}
