package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The join is atomic at every step: two real members in this JVM (Jetty, TLS, H2 stores), the
 * joiner failed on purpose at each point where it has changed something ({@link JoinFlow.Step},
 * through its join hook). Each time the joiner is left as it was (no cluster, keyrings, SMK or
 * cluster CA from it, no crypto API, its own users), the cluster does not keep it in its
 * membership, and the same joiner then joins.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class JoinAtomicityTest {
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
    m0.appliance()
        .keyrings()
        .createKeyrings(AdminTestSupport.CO, "shared", "ring-initial-1", 1, null, null);
    m1 =
        Member.start(
            MemberConfig.builder()
                .appliance(
                    ApplianceConfig.builder()
                        .dataDir(dir.resolve("m1"))
                        .kdfIterations(1000)
                        .build())
                .adminPort(0)
                .cryptoPort(0)
                .initialAdminPassword(ADMIN_PW)
                .build());
    a1 = new AdminRestClient(m1.adminPort(), m1.adminCertificate());
    AdminTestSupport.prepareHsm(a1);
    a1.call("PATCH", "/users/" + ADMIN)
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("password", JOINER_ADMIN_PW))
        .send()
        .expect(200);
  }

  @AfterEach
  void stop() {
    if (m1 != null) {
      m1.close();
    }
    m0.close();
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

  private int members() {
    return a0.call("GET", "/api/clusters/" + cluster + "/members")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(200)
        .json()
        .path("data")
        .size();
  }

  @ParameterizedTest
  @EnumSource(JoinFlow.Step.class)
  void aJoinFailingAtThisStep_leavesTheJoinerAsItWas_theClusterWithoutIt_andItJoinsLater(
      JoinFlow.Step failAt) throws Exception {
    assertFalse(m1.appliance().hsm().hasSmk());
    m1.adminApi().joinHook =
        step -> {
          if (step == failAt) {
            throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "injected failure at " + step);
          }
        };

    AdminRestClient.Reply failed = join();

    assertTrue(failed.status() >= 400, failed.body());
    assertTrue(failed.message().contains("injected failure at " + failAt), failed.body());
    assertTrue(failed.message().contains("the join was undone"), failed.body());
    assertTrue(
        failed.message().contains("this member holds no cluster, SMK or cluster CA from it"),
        failed.body());
    if (failAt.compareTo(JoinFlow.Step.COMPLETING) >= 0) {
      assertTrue(failed.message().contains("the cluster no longer lists it"), failed.body());
    }
    assertTrue(m1.appliance().cluster().isEmpty(), "no cluster");
    assertTrue(m1.appliance().store().keyrings().isEmpty(), "no keyring of the cluster");
    assertFalse(m1.appliance().hsm().hasSmk(), "no SMK");
    assertFalse(m1.appliance().pki().hasClusterCa(), "no cluster CA");
    assertEquals(-1, m1.cryptoPort(), "no crypto API");
    assertTrue(m1.node() == null, "no cluster service");
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
    assertEquals(1, members(), "the cluster does not keep the half-added member");

    // nothing injected now: the same joiner joins, and has the cluster's state
    m1.adminApi().joinHook = step -> {};
    AdminRestClient.Reply joined = join();
    assertEquals(200, joined.status(), joined.body());
    assertEquals(2, members());
    ReplicatedClientsTest.awaitCaughtUp(m1);
    assertEquals(204, login(a1, ADMIN, ADMIN_PW), "the cluster's users");
    assertEquals("shared", m1.appliance().keyrings().keyring("shared").label());
    assertTrue(m1.appliance().hsm().hasSmk());
  }

  /**
   * A crash of the joiner between steps: the join's thread stops for good at {@code crashAt} (as
   * the process would), the member is closed and started again on the same data directory, as after
   * a restart. It finds the join's journal and undoes the join.
   */
  @ParameterizedTest
  @EnumSource(
      value = JoinFlow.Step.class,
      names = {"SMK_INSTALLED", "CA_INSTALLED", "STATE_COPIED", "USERS_REPLACED"})
  void aJoinerCrashingAtThisStep_isAsItWasOnceRestarted(JoinFlow.Step crashAt) throws Exception {
    java.util.concurrent.CountDownLatch crashed = new java.util.concurrent.CountDownLatch(1);
    m1.adminApi().joinHook =
        step -> {
          if (step == crashAt) {
            crashed.countDown();
            while (true) { // nothing after this step ever runs
              Thread.interrupted(); // an interrupt (the server stopping) is ignored, not spun on
              java.util.concurrent.locks.LockSupport.park();
            }
          }
        };
    java.util.concurrent.CompletableFuture.runAsync(this::join);
    assertTrue(crashed.await(60, TimeUnit.SECONDS), "the join reached " + crashAt);
    Path data = dir.resolve("m1");
    m1.close();
    m1 = null;

    m1 =
        Member.start(
            MemberConfig.builder()
                .appliance(ApplianceConfig.builder().dataDir(data).kdfIterations(1000).build())
                .adminPort(0)
                .cryptoPort(0)
                .build());
    a1 = new AdminRestClient(m1.adminPort(), m1.adminCertificate());

    assertTrue(m1.appliance().cluster().isEmpty(), "no cluster");
    assertTrue(m1.appliance().store().keyrings().isEmpty(), "no keyring of the cluster");
    assertFalse(m1.appliance().hsm().hasSmk(), "no SMK");
    assertFalse(m1.appliance().pki().hasClusterCa(), "no cluster CA");
    assertTrue(m1.appliance().store().hsmState(JoinFlow.JOURNAL).isEmpty(), "journal done");
    assertEquals(-1, m1.cryptoPort(), "no crypto API");
    assertEquals(204, login(a1, ADMIN, JOINER_ADMIN_PW), "its own users");
    assertEquals(401, login(a1, ADMIN, ADMIN_PW));
    if (crashAt.compareTo(JoinFlow.Step.COMPLETING) > 0) {
      // asked to add it before the crash: the operator deletes it there, as the warning says
      assertEquals(2, members());
      String id = null;
      for (com.fasterxml.jackson.databind.JsonNode m :
          a0.call("GET", "/api/clusters/" + cluster + "/members")
              .as(ADMIN, ADMIN_PW)
              .send()
              .expect(200)
              .json()
              .path("data")) {
        if (!m.path("local").asBoolean()) {
          id = m.path("memberID").asText();
        }
      }
      a0.call("DELETE", "/api/clusters/" + cluster + "/members/" + id)
          .as(ADMIN, ADMIN_PW)
          .json(Map.of("authentication", AdminTestSupport.co()))
          .send()
          .expect(200);
    }
    assertEquals(1, members(), "the cluster does not keep the half-added member");

    // it joins later
    AdminRestClient.Reply joined = join();
    assertEquals(200, joined.status(), joined.body());
    assertEquals(2, members());
    assertEquals("shared", m1.appliance().keyrings().keyring("shared").label());
  }
}
