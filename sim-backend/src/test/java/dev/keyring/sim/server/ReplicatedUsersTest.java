package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.ApplianceConfig;
import dev.keyring.testing.admin.AdminRestClient;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appliance users are cluster state once a member joined: created, enabled, re-passworded or
 * deleted through either of two real members (in this JVM), they are so on the other. A join that
 * fails part-way (here: the cluster's state cannot be copied) leaves the joiner as it was, and it
 * can join again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class ReplicatedUsersTest {
  private static final String JOINER_ADMIN_PW = "joiner-admin-1";

  @TempDir Path dir;
  private Member m0;
  private Member m1;
  private AdminRestClient a0;
  private AdminRestClient a1;
  private String cluster;

  @BeforeEach
  void start() throws Exception {
    m0 = AdminTestSupport.start(dir.resolve("m0"));
    a0 = new AdminRestClient(m0.adminPort(), m0.adminCertificate());
    cluster = AdminTestSupport.provision(a0);
  }

  @AfterEach
  void stop() {
    if (m1 != null) {
      m1.close();
    }
    m0.close();
  }

  /**
   * The joiner, with its own admin password, reaching member 0's crypto API through {@code route}.
   */
  private Member startJoiner(String route) throws Exception {
    MemberConfig.Builder b =
        MemberConfig.builder()
            .appliance(
                ApplianceConfig.builder().dataDir(dir.resolve("m1")).kdfIterations(1000).build())
            .adminPort(0)
            .cryptoPort(0)
            .initialAdminPassword(ADMIN_PW);
    if (route != null) {
      b.peerRoute("127.0.0.1:" + m0.cryptoPort(), route);
    }
    Member m = Member.start(b.build());
    a1 = new AdminRestClient(m.adminPort(), m.adminCertificate());
    if (m.appliance().hsm().partition().isEmpty()) {
      // first start: its HSM made ready, then an admin password of its own
      AdminTestSupport.prepareHsm(a1);
      setPassword(a1, ADMIN, JOINER_ADMIN_PW);
    }
    return m;
  }

  private AdminRestClient.Reply join() {
    Map<String, Object> body = new HashMap<>();
    body.put("action", "join");
    body.put("authentication", AdminTestSupport.co());
    body.put("remoteClusterIpAddress", "127.0.0.1");
    body.put("remoteAdminPort", m0.adminPort());
    body.put("remoteAdminPassword", ADMIN_PW);
    return a1.call("PUT", "/api/clusters/" + cluster).as(ADMIN, JOINER_ADMIN_PW).json(body).send();
  }

  private static int login(AdminRestClient on, String user, String password) {
    return on.call("POST", "/auth/session").as(user, password).send().status();
  }

  private static void setPassword(AdminRestClient on, String user, String password) {
    on.call("PATCH", "/users/" + user)
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("password", password))
        .send()
        .expect(200);
  }

  private static void create(AdminRestClient on, String user, String role, String password) {
    on.call("POST", "/users")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("userId", user, "role", role, "password", password))
        .send()
        .expect(201);
  }

  private int members() {
    return a0.call("GET", "/api/clusters/" + cluster + "/members")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(200)
        .json()
        .path("data")
        .size();
  }

  @Test
  void usersChangedThroughEitherMember_areChangedOnBoth() throws Exception {
    m1 = startJoiner(null);
    assertEquals(200, join().status());
    ReplicatedClientsTest.awaitCaughtUp(m1);
    // the cluster's users replaced the joiner's
    assertEquals(204, login(a1, ADMIN, ADMIN_PW));
    assertEquals(401, login(a1, ADMIN, JOINER_ADMIN_PW));

    // create through member 1, log in on member 0
    create(a1, "alice", "operator", "alice-password-1");
    assertEquals(204, login(a0, "alice", "alice-password-1"));
    // enable a built-in user through member 0, log in on member 1
    setPassword(a0, "monitor", "monitor-password-1");
    assertEquals(204, login(a1, "monitor", "monitor-password-1"));
    // a password rotated on member 0 is refused on member 1
    setPassword(a0, "alice", "alice-password-2");
    assertEquals(401, login(a1, "alice", "alice-password-1"));
    assertEquals(204, login(a1, "alice", "alice-password-2"));
    // a user changing its own password on member 1
    a1.call("PATCH", "/users/alice")
        .as("alice", "alice-password-2")
        .json(Map.of("oldPassword", "alice-password-2", "password", "alice-password-3"))
        .send()
        .expect(200);
    assertEquals(401, login(a0, "alice", "alice-password-2"));
    assertEquals(204, login(a0, "alice", "alice-password-3"));
    // users created at once through both members are all kept (each change is made to the
    // freshest users, under the value's lock on the primary)
    java.util.List<CompletableFuture<Void>> creating = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String n = Integer.toString(i);
      creating.add(
          CompletableFuture.runAsync(() -> create(a0, "bob" + n, "monitor", "bob-password-1")));
      creating.add(
          CompletableFuture.runAsync(() -> create(a1, "carol" + n, "admin", "carol-password-1")));
    }
    for (CompletableFuture<Void> f : creating) {
      f.get(60, TimeUnit.SECONDS);
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(204, login(a1, "bob" + i, "bob-password-1"));
      assertEquals(204, login(a0, "carol" + i, "carol-password-1"));
    }
    // deleted through member 1, gone on member 0
    a1.call("DELETE", "/users/alice").as(ADMIN, ADMIN_PW).send().expect(204);
    assertEquals(401, login(a0, "alice", "alice-password-3"));
    assertEquals(404, a0.call("GET", "/users/alice").as(ADMIN, ADMIN_PW).send().status());
    assertEquals(
        a0.call("GET", "/users").as(ADMIN, ADMIN_PW).send().expect(200).json(),
        a1.call("GET", "/users").as(ADMIN, ADMIN_PW).send().expect(200).json());
  }

  @Test
  void joinFailingPartWay_leavesTheJoinerAsItWas_andItJoinsAgainLater() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort(); // nothing listens there once it is closed
    }
    m1 = startJoiner("127.0.0.1:" + closed);

    AdminRestClient.Reply failed = join();

    assertTrue(failed.status() >= 400 && failed.status() < 500, failed.body());
    assertTrue(failed.message().contains("the join was undone"), failed.body());
    assertTrue(failed.message().contains("the cluster no longer lists it"), failed.body());
    assertTrue(m1.appliance().cluster().isEmpty(), "no cluster");
    assertFalse(m1.appliance().hsm().hasSmk(), "no SMK");
    assertFalse(m1.appliance().pki().hasClusterCa(), "no cluster CA");
    assertEquals(-1, m1.cryptoPort(), "no crypto API");
    assertEquals(204, login(a1, ADMIN, JOINER_ADMIN_PW), "its own users");
    assertEquals(401, login(a1, ADMIN, ADMIN_PW));
    assertEquals(
        0,
        a1.call("GET", "/api/clusters")
            .as(ADMIN, JOINER_ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data")
            .size());
    assertEquals(1, members(), "the cluster no longer lists the joiner");

    // the same appliance, started without the broken route, joins
    m1.close();
    m1 = startJoiner(null);
    assertEquals(200, join().status());
    assertEquals(2, members());
    assertEquals(204, login(a1, ADMIN, ADMIN_PW));
  }
}
