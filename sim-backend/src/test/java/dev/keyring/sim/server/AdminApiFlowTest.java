package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static dev.keyring.sim.server.AdminTestSupport.CO;
import static dev.keyring.sim.server.AdminTestSupport.PARTITION;
import static dev.keyring.sim.server.AdminTestSupport.SO;
import static dev.keyring.sim.server.AdminTestSupport.auth;
import static dev.keyring.sim.server.AdminTestSupport.co;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Role;
import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API end to end over TLS: from a blank appliance to keyrings with REST calls only, then
 * members, keyrings, roles, cluster configuration and the cluster service.
 */
class AdminApiFlowTest {
  @TempDir Path dir;
  private Member member;
  private AdminRestClient c;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
  }

  @AfterEach
  void stop() {
    member.close();
  }

  private AdminRestClient.Call admin(String method, String path) {
    return c.call(method, path).as(ADMIN, ADMIN_PW);
  }

  @Test
  void fromNothing_overRest_createsClusterAuthorizesAndManagesTenKeyrings() {
    assertFalse(
        admin("GET", "/api/lunasa/hsms")
            .send()
            .expect(200)
            .json()
            .path("data")
            .get(0)
            .path("initialized")
            .asBoolean());
    // the cluster needs a ready partition: creating it before the CO changed its password fails
    String hsm = "/api/lunasa/hsms/" + AdminTestSupport.hsmId(c);
    admin("PUT", hsm).json(Map.of("label", "hsm1", "password", SO)).send().expect(200);
    admin("POST", hsm + "/partitions")
        .json(Map.of("authentication", auth("SO", SO), "label", PARTITION, "version", "V1"))
        .send()
        .expect(201);
    JsonNode par = admin("GET", hsm + "/partitions/" + PARTITION).send().expect(200).json();
    assertEquals("V1", par.path("version").asText());
    assertFalse(par.path("initialized").asBoolean());
    admin("PUT", hsm + "/partitions/" + PARTITION)
        .json(Map.of("authentication", auth("SO", SO), "password", "po-password-1", "domain", "d"))
        .send()
        .expect(200);
    admin("PUT", hsm + "/partitions/" + PARTITION + "/roles/co")
        .json(Map.of("authentication", auth("PO", "po-password-1"), "password", "co-initial-1"))
        .send()
        .expect(200);
    AdminRestClient.Reply early =
        admin("POST", "/api/clusters")
            .json(Map.of("authentication", auth("SO", SO), "clusterLabel", "c1"))
            .send();
    assertEquals(403, early.status(), early.body());
    assertEquals("CKR_PIN_EXPIRED", early.errorCode());
    admin("PATCH", hsm + "/partitions/" + PARTITION + "/roles/co")
        .json(Map.of("authentication", auth("CO", "co-initial-1"), "newPassword", CO))
        .send()
        .expect(200);
    AdminRestClient.Reply policy40 =
        admin("POST", "/api/clusters")
            .json(Map.of("authentication", auth("SO", SO), "clusterLabel", "c1"))
            .send();
    assertEquals(400, policy40.status(), policy40.body());
    assertTrue(policy40.message().contains("policy 40"), policy40.body());
    admin("PUT", hsm + "/partitions/" + PARTITION + "/policies/40")
        .json(Map.of("authentication", auth("PO", "po-password-1"), "value", 0))
        .send()
        .expect(200);
    assertEquals(-1, member.cryptoPort());

    // create the cluster: the crypto API starts
    JsonNode created =
        admin("POST", "/api/clusters")
            .json(Map.of("authentication", auth("SO", SO), "clusterLabel", "c1"))
            .send()
            .expect(201)
            .json();
    String cluster = created.path("clusterUUID").asText();
    assertTrue(member.cryptoPort() > 0);
    assertEquals(member.appliance().defaultMemberName(), created.path("memberName").asText());
    AdminRestClient.Reply second =
        admin("POST", "/api/clusters")
            .json(Map.of("authentication", auth("SO", SO), "clusterLabel", "c2"))
            .send();
    assertEquals(409, second.status(), second.body());
    assertEquals("CKR_FUNCTION_FAILED", second.errorCode());
    JsonNode clusters = admin("GET", "/api/clusters").send().expect(200).json().path("data");
    assertEquals(1, clusters.size());
    assertEquals("c1", clusters.get(0).path("clusterLabel").asText());
    assertEquals(cluster, clusters.get(0).path("clusterUUID").asText());

    // the one member: itself, primary, read-write, group local, not yet authorized
    JsonNode m =
        admin("GET", "/api/clusters/" + cluster + "/members")
            .send()
            .expect(200)
            .json()
            .path("data")
            .get(0);
    String memberId = m.path("memberID").asText();
    UUID.fromString(memberId);
    assertEquals(member.appliance().defaultMemberName(), m.path("memberName").asText());
    assertTrue(m.path("primaryNode").asBoolean());
    assertTrue(m.path("local").asBoolean());
    assertTrue(m.path("visibleToServicingNode").asBoolean());
    assertEquals("Read-Write", m.path("mode").asText());
    assertEquals("local", m.path("group").asText());
    assertFalse(m.path("authorized").asBoolean());
    assertFalse(m.path("memberActive").asBoolean());
    assertFalse(m.path("restartService").asBoolean());
    assertEquals(
        dev.keyring.sim.packages.InstalledPackages.FACTORY_VERSION, m.path("version").asText());

    Map<String, Object> create =
        Map.of(
            "authentication",
            co(),
            "keyRingLabel",
            "kr",
            "keyRingPassword",
            "keyring-pw-1",
            "total",
            10,
            "index",
            100);
    AdminRestClient.Reply unauthorized = admin("POST", "/api/keyrings").json(create).send();
    assertEquals(409, unauthorized.status(), unauthorized.body());
    assertTrue(unauthorized.message().contains("authorize"), unauthorized.body());

    AdminRestClient.Reply wrongCo =
        admin("PUT", "/api/clusters/" + cluster + "/members/" + memberId)
            .json(
                Map.of(
                    "action",
                    "authorize",
                    "authentication",
                    List.of(
                        Map.of(
                            "type", "CO", "password", "wrong-co-1", "partitionLabel", PARTITION))))
            .send();
    assertEquals(401, wrongCo.status());
    assertEquals("CKR_PIN_INCORRECT", wrongCo.errorCode());
    AdminTestSupport.authorize(c, cluster, memberId);
    m = admin("GET", "/api/clusters/" + cluster + "/members/" + memberId).send().expect(200).json();
    assertTrue(m.path("authorized").asBoolean());
    assertTrue(m.path("memberActive").asBoolean());
    // the member name works as an id too
    admin("GET", "/api/clusters/" + cluster + "/members/" + member.appliance().defaultMemberName())
        .send()
        .expect(200);

    // ten keyrings, labels kr100 .. kr109
    JsonNode made =
        admin("POST", "/api/keyrings").json(create).send().expect(201).json().path("data");
    assertEquals(10, made.size());
    List<String> labels = new ArrayList<>();
    made.forEach(k -> labels.add(k.path("keyRingLabel").asText()));
    for (int i = 0; i < 10; i++) {
      assertEquals("kr" + (100 + i), labels.get(i));
    }
    JsonNode all = admin("GET", "/api/keyrings").send().expect(200).json().path("data");
    assertEquals(10, all.size());
    String id105 = made.get(5).path("keyRingUUID").asText();
    JsonNode byLabel = admin("GET", "/api/keyrings/kr105").send().expect(200).json();
    assertEquals(id105, byLabel.path("keyRingUUID").asText());
    assertEquals(0, byLabel.path("objects").asInt());
    assertTrue(byLabel.path("passwordChangeRequired").asBoolean());
    assertEquals(
        "kr105",
        admin("GET", "/api/keyrings/" + id105)
            .send()
            .expect(200)
            .json()
            .path("keyRingLabel")
            .asText());

    // lock kr105 with ten wrong logins, unlock it over REST
    UUID uuid105 = UUID.fromString(id105);
    for (int i = 0; i < 10; i++) {
      try {
        member.appliance().keyrings().login(uuid105, Role.KRSO, "wrong-password-" + i);
      } catch (HsmException expected) {
        // counted
      }
    }
    assertTrue(
        admin("GET", "/api/keyrings/" + id105)
            .send()
            .expect(200)
            .json()
            .path("locked")
            .asBoolean());
    JsonNode unlocked =
        admin("PATCH", "/api/keyrings/" + id105)
            .json(Map.of("authentication", co(), "action", "unlock"))
            .send()
            .expect(200)
            .json();
    assertFalse(unlocked.path("locked").asBoolean());
    assertEquals(0, unlocked.path("failedLogins").asInt());

    // delete by label, then by UUID
    admin("DELETE", "/api/keyrings/kr109").json(Map.of("authentication", co())).send().expect(204);
    AdminRestClient.Reply gone = admin("GET", "/api/keyrings/kr109").send();
    assertEquals(404, gone.status());
    assertEquals("CKR_SLOT_ID_INVALID", gone.errorCode());
    admin("DELETE", "/api/keyrings/" + id105)
        .json(Map.of("authentication", co()))
        .send()
        .expect(204);
    assertEquals(8, admin("GET", "/api/keyrings").send().expect(200).json().path("data").size());

    // affinity group and primary
    JsonNode moved =
        admin("PUT", "/api/clusters/" + cluster + "/members/" + memberId)
            .json(Map.of("action", "config", "group", "east"))
            .send()
            .expect(200)
            .json();
    assertEquals("east", moved.path("group").asText());
    admin("PUT", "/api/clusters/" + cluster + "/members/" + memberId)
        .json(Map.of("action", "config", "primary", true))
        .send()
        .expect(200);
    AdminRestClient.Reply demote =
        admin("PUT", "/api/clusters/" + cluster + "/members/" + memberId)
            .json(Map.of("action", "config", "primary", false))
            .send();
    assertEquals(400, demote.status());
  }

  @Test
  void monitor_cannotCreateKeyrings_operatorCan() {
    AdminTestSupport.provision(c);
    Map<String, Object> create =
        Map.of("authentication", co(), "keyRingLabel", "ops", "keyRingPassword", "keyring-pw-1");
    // built-in operator and monitor are disabled until the admin sets their passwords
    AdminRestClient.Reply disabled =
        c.call("GET", "/api/keyrings").as("monitor", "monitor-pw-1").send();
    assertEquals(401, disabled.status());
    assertTrue(disabled.message().contains("disabled"), disabled.body());
    AdminTestSupport.setPassword(c, "monitor", "monitor-pw-1");
    AdminTestSupport.setPassword(c, "operator", "operator-pw-1");

    AdminRestClient.Reply denied =
        c.call("POST", "/api/keyrings").as("monitor", "monitor-pw-1").json(create).send();
    assertEquals(403, denied.status(), denied.body());
    assertEquals("CKR_FUNCTION_REJECTED", denied.errorCode());
    assertTrue(denied.message().contains("monitor"), denied.body());
    c.call("GET", "/api/keyrings").as("monitor", "monitor-pw-1").send().expect(200);

    JsonNode made =
        c.call("POST", "/api/keyrings")
            .as("operator", "operator-pw-1")
            .json(create)
            .send()
            .expect(201)
            .json()
            .path("data");
    assertEquals("ops", made.get(0).path("keyRingLabel").asText());
    // the operator may not do admin work
    assertEquals(
        403,
        c.call("PUT", "/api/cluster/config")
            .as("operator", "operator-pw-1")
            .json(Map.of("service", "crypto", "port", 50055))
            .send()
            .status());
    assertEquals(403, c.call("GET", "/users").as("operator", "operator-pw-1").send().status());
    // users read and change themselves
    c.call("GET", "/users/monitor").as("monitor", "monitor-pw-1").send().expect(200);
    assertEquals(403, c.call("GET", "/users/admin").as("monitor", "monitor-pw-1").send().status());
    c.call("PATCH", "/users/monitor")
        .as("monitor", "monitor-pw-1")
        .json(Map.of("password", "monitor-pw-2", "oldPassword", "monitor-pw-1"))
        .send()
        .expect(200);
    c.call("GET", "/api/keyrings").as("monitor", "monitor-pw-2").send().expect(200);

    // a custom monitor user
    admin("POST", "/users")
        .json(Map.of("userId", "watcher", "role", "monitor", "password", "watcher-pw-1"))
        .send()
        .expect(201);
    assertEquals(
        403,
        c.call("DELETE", "/api/keyrings/ops")
            .as("watcher", "watcher-pw-1")
            .json(Map.of("authentication", co()))
            .send()
            .status());
    assertEquals(409, admin("DELETE", "/users/operator").send().status());
    admin("DELETE", "/users/watcher").send().expect(204);
    assertEquals(401, c.call("GET", "/api/keyrings").as("watcher", "watcher-pw-1").send().status());
  }

  @Test
  void wrongPassword_is401WithChallenge_andTenInARowLockTheUser() {
    AdminRestClient.Reply none = c.call("GET", "/api/lunasa/hsms").send();
    assertEquals(401, none.status());
    assertEquals(
        "Basic realm=\"keyring\", charset=\"UTF-8\"",
        none.headers().firstValue("WWW-Authenticate").orElseThrow());
    AdminRestClient.Reply wrong =
        c.call("GET", "/api/lunasa/hsms").as(ADMIN, "not-the-password").send();
    assertEquals(401, wrong.status());
    assertEquals("CKR_PIN_INCORRECT", wrong.errorCode());
    assertTrue(wrong.headers().firstValue("WWW-Authenticate").isPresent());
    assertEquals(401, c.call("GET", "/api/lunasa/hsms").as("nobody", "whatever-1").send().status());
    // a success resets the count
    admin("GET", "/api/lunasa/hsms").send().expect(200);

    admin("POST", "/users")
        .json(Map.of("userId", "alice", "role", "monitor", "password", "alice-pw-1"))
        .send()
        .expect(201);
    for (int i = 1; i < ApplianceUsers.LOCKOUT_THRESHOLD; i++) {
      assertEquals(
          401, c.call("GET", "/api/lunasa/hsms").as("alice", "wrong-" + i).send().status());
    }
    AdminRestClient.Reply tenth = c.call("GET", "/api/lunasa/hsms").as("alice", "wrong-10").send();
    assertEquals(429, tenth.status());
    assertEquals("CKR_PIN_LOCKED", tenth.errorCode());
    AdminRestClient.Reply right =
        c.call("GET", "/api/lunasa/hsms").as("alice", "alice-pw-1").send();
    assertEquals(429, right.status());
    assertTrue(right.message().contains("locked"), right.body());
    long retry = Long.parseLong(right.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retry > 0 && retry <= 60, "Retry-After " + retry);
    // other users are not affected
    admin("GET", "/api/lunasa/hsms").send().expect(200);
  }

  @Test
  void cookieSession_logsIn_servesCalls_andLogsOut() {
    AdminRestClient.Reply bad = c.call("POST", "/auth/session").as(ADMIN, "wrong-password").send();
    assertEquals(401, bad.status());
    assertTrue(bad.headers().firstValue("Set-Cookie").isEmpty());

    AdminRestClient.Reply login = c.call("POST", "/auth/session").as(ADMIN, ADMIN_PW).send();
    assertEquals(204, login.status(), login.body());
    String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(setCookie.contains("HttpOnly"), setCookie);
    assertTrue(setCookie.contains("Secure"), setCookie);
    String value = setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
    assertTrue(value.matches("[0-9a-f]{32}"), value);

    c.call("GET", "/api/lunasa/hsms").cookie(AdminSessions.COOKIE, value).send().expect(200);
    c.call("GET", "/users").cookie(AdminSessions.COOKIE, value).send().expect(200);
    AdminRestClient.Reply bogus =
        c.call("GET", "/api/lunasa/hsms").cookie(AdminSessions.COOKIE, "0".repeat(32)).send();
    assertEquals(401, bogus.status());

    c.call("DELETE", "/auth/session").cookie(AdminSessions.COOKIE, value).send().expect(204);
    AdminRestClient.Reply after =
        c.call("GET", "/api/lunasa/hsms").cookie(AdminSessions.COOKIE, value).send();
    assertEquals(401, after.status());
    assertTrue(after.message().contains("log in again"), after.body());
    assertEquals(
        401, c.call("DELETE", "/auth/session").cookie(AdminSessions.COOKIE, value).send().status());
  }

  @Test
  void a1030MonitorLogins_neverLogTheAdminOut() {
    AdminTestSupport.setPassword(c, "monitor", "monitor-pw-1");
    String admin = cookie(c.call("POST", "/auth/session").as(ADMIN, ADMIN_PW).send());
    String firstMonitor =
        cookie(c.call("POST", "/auth/session").as("monitor", "monitor-pw-1").send());
    String lastMonitor = firstMonitor;
    for (int i = 1; i < 1030; i++) {
      lastMonitor = cookie(c.call("POST", "/auth/session").as("monitor", "monitor-pw-1").send());
    }
    c.call("GET", "/api/lunasa/hsms").cookie(AdminSessions.COOKIE, admin).send().expect(200);
    c.call("GET", "/api/lunasa/hsms").cookie(AdminSessions.COOKIE, lastMonitor).send().expect(200);
    // the monitor's own oldest session made way for its newest
    assertEquals(
        401,
        c.call("GET", "/api/lunasa/hsms")
            .cookie(AdminSessions.COOKIE, firstMonitor)
            .send()
            .status());
  }

  private static String cookie(AdminRestClient.Reply login) {
    assertEquals(204, login.status(), login.body());
    String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    return setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
  }

  @Test
  void clusterConfig_acceptsOnlyTheSeedsPortRanges_andAskForARestart() {
    String[][] refused = {
      {"crypto", "50054"},
      {"crypto", "50060"},
      {"crypto", "50075"},
      {"admin", "50074"},
      {"admin", "50080"},
      {"admin", "50055"},
      {"admin", "0"},
      {"crypto", "-1"}
    };
    for (String[] r : refused) {
      AdminRestClient.Reply reply =
          admin("PUT", "/api/cluster/config")
              .json(Map.of("service", r[0], "port", Integer.parseInt(r[1])))
              .send();
      assertEquals(400, reply.status(), r[0] + " " + r[1] + ": " + reply.body());
      assertEquals("CKR_ARGUMENTS_BAD", reply.errorCode());
    }
    JsonNode saved =
        admin("PUT", "/api/cluster/config")
            .json(Map.of("service", "crypto", "port", 50055, "interface", "lo"))
            .send()
            .expect(200)
            .json();
    assertTrue(saved.path("restartRequired").asBoolean());
    assertTrue(saved.path("message").asText().contains("restart"));
    admin("PUT", "/api/cluster/config")
        .json(Map.of("service", "admin", "port", 50079))
        .send()
        .expect(200);
    assertEquals(
        400,
        admin("PUT", "/api/cluster/config")
            .json(Map.of("service", "admin", "interface", "nosuchnic0"))
            .send()
            .status());
    assertEquals(
        400,
        admin("PUT", "/api/cluster/config")
            .json(Map.of("service", "core", "IpAddress", "8.8.8.8"))
            .send()
            .status());
    assertEquals(
        400,
        admin("PUT", "/api/cluster/config")
            .json(Map.of("service", "core", "IpAddress", "no-such-host.invalid"))
            .send()
            .status());
    admin("PUT", "/api/cluster/config")
        .json(Map.of("service", "core", "IpAddress", "127.0.0.1"))
        .send()
        .expect(200);
    // setting the same core address again is fine; a different one would need a factory reset
    admin("PUT", "/api/cluster/config")
        .json(Map.of("service", "core", "IpAddress", "127.0.0.1"))
        .send()
        .expect(200);

    JsonNode config = admin("GET", "/api/cluster/config").send().expect(200).json();
    assertTrue(config.path("restartRequired").asBoolean());
    JsonNode data = config.path("data");
    assertEquals("127.0.0.1", data.get(0).path("IpAddress").asText());
    assertEquals(50079, data.get(1).path("port").asInt());
    assertEquals(member.adminPort(), data.get(1).path("listeningPort").asInt());
    assertEquals(50055, data.get(2).path("port").asInt());
    assertEquals("lo", data.get(2).path("interface").asText());

    AdminTestSupport.prepareHsm(c);
    admin("POST", "/api/lunasa/services/cluster/actions/restart").send().expect(200);
    assertFalse(
        admin("GET", "/api/cluster/config")
            .send()
            .expect(200)
            .json()
            .path("restartRequired")
            .asBoolean());
  }

  @Test
  void stoppingTheClusterService_closesTheCryptoApi_andKeyringCallsSaySo() {
    String cluster = AdminTestSupport.provision(c);
    int port = member.cryptoPort();
    assertTrue(port > 0);
    JsonNode status = admin("GET", "/api/lunasa/services/cluster").send().expect(200).json();
    assertEquals("running", status.path("status").asText());
    assertEquals(port, status.path("cryptoApiPort").asInt());

    AdminRestClient.Reply notStopped =
        admin("POST", "/api/lunasa/services/cluster/actions/factoryreset")
            .json(Map.of("authentication", auth("SO", SO)))
            .send();
    assertEquals(409, notStopped.status(), notStopped.body());

    JsonNode stopped =
        admin("POST", "/api/lunasa/services/cluster/actions/stop").send().expect(200).json();
    assertEquals("stopped", stopped.path("status").asText());
    assertEquals(-1, member.cryptoPort());
    AdminRestClient.Reply list = admin("GET", "/api/keyrings").send();
    assertEquals(409, list.status());
    assertTrue(list.message().contains("cluster service is stopped"), list.body());
    AdminRestClient.Reply create =
        admin("POST", "/api/keyrings")
            .json(
                Map.of("authentication", co(), "keyRingLabel", "x", "keyRingPassword", "kr-pw-123"))
            .send();
    assertEquals(409, create.status());
    assertEquals(409, admin("GET", "/api/clusters/" + cluster + "/members").send().status());

    AdminRestClient.Reply wrongSo =
        admin("POST", "/api/lunasa/services/cluster/actions/factoryreset")
            .json(Map.of("authentication", auth("SO", "wrong-so-pw")))
            .send();
    assertEquals(401, wrongSo.status());
    assertTrue(member.appliance().cluster().isPresent());

    // factory reset: the member forgets its cluster, keyrings, SMK and CA; HSM and partition stay
    admin("POST", "/api/lunasa/services/cluster/actions/factoryreset")
        .json(Map.of("authentication", auth("SO", SO)))
        .send()
        .expect(200);
    assertTrue(member.appliance().cluster().isEmpty());
    assertEquals(0, member.appliance().store().keyringCount());
    assertFalse(member.appliance().boundary().hasSmk());
    assertFalse(member.appliance().pki().hasClusterCa());
    assertTrue(member.appliance().hsm().partition().isPresent());

    admin("POST", "/api/lunasa/services/cluster/actions/start").send().expect(200);
    String again = AdminTestSupport.createCluster(c, "test-cluster-2");
    AdminTestSupport.authorize(c, again, AdminTestSupport.memberId(c, again));
    assertTrue(member.cryptoPort() > 0);
    assertEquals(0, admin("GET", "/api/keyrings").send().expect(200).json().path("data").size());
    assertEquals(
        "running",
        admin("GET", "/api/lunasa/services/cluster")
            .send()
            .expect(200)
            .json()
            .path("status")
            .asText());

    JsonNode onBoot =
        admin("PATCH", "/api/lunasa/services/cluster")
            .json(Map.of("onBoot", true))
            .send()
            .expect(200)
            .json();
    assertTrue(onBoot.path("onBoot").asBoolean());
    assertEquals(
        404, admin("POST", "/api/lunasa/services/cluster/actions/explode").send().status());
    assertEquals(404, admin("GET", "/api/lunasa/services/ntls").send().status());
  }
}
