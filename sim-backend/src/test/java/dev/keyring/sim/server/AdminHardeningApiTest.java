package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 findings replayed over the admin API of a real member: F10 (a stolen session cookie is
 * no way to guess the user's password: a wrong {@code oldPassword} counts towards its lockout) and
 * F13 (the operator role cannot stop the primary's cluster service).
 */
class AdminHardeningApiTest {
  @TempDir Path dir;
  private Member member;
  private AdminRestClient c;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    AdminTestSupport.provision(c);
  }

  @AfterEach
  void stop() {
    member.close();
  }

  private String cookie(String user, String password) {
    AdminRestClient.Reply login = c.call("POST", "/auth/session").as(user, password).send();
    assertEquals(204, login.status(), login.body());
    String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    return setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
  }

  @Test
  void wrongOldPasswordThroughASessionCookie_countsTowardsTheLockout() {
    AdminTestSupport.setPassword(c, "monitor", "monitor-password-1");
    String stolen = cookie("monitor", "monitor-password-1");
    for (int i = 1; i < ApplianceUsers.LOCKOUT_THRESHOLD; i++) {
      AdminRestClient.Reply r =
          c.call("PATCH", "/users/monitor")
              .cookie(AdminSessions.COOKIE, stolen)
              .json(Map.of("oldPassword", "guess-" + i, "password", "taken-over-1"))
              .send();
      assertEquals(403, r.status(), r.body());
    }
    AdminRestClient.Reply tenth =
        c.call("PATCH", "/users/monitor")
            .cookie(AdminSessions.COOKIE, stolen)
            .json(Map.of("oldPassword", "guess-10", "password", "taken-over-1"))
            .send();
    assertEquals(429, tenth.status(), tenth.body());
    assertEquals("CKR_PIN_LOCKED", tenth.errorCode());
    assertTrue(tenth.headers().firstValue("Retry-After").isPresent());
    // now even the right current password is refused from here, and so is a login
    assertEquals(
        429,
        c.call("PATCH", "/users/monitor")
            .cookie(AdminSessions.COOKIE, stolen)
            .json(Map.of("oldPassword", "monitor-password-1", "password", "taken-over-1"))
            .send()
            .status());
    assertEquals(
        429, c.call("POST", "/auth/session").as("monitor", "monitor-password-1").send().status());
    // the admin sets a new password, which also lifts the lockout
    AdminTestSupport.setPassword(c, "monitor", "monitor-password-2");
    assertEquals(
        204, c.call("POST", "/auth/session").as("monitor", "monitor-password-2").send().status());
  }

  @Test
  void operator_cannotStopOrRestartThePrimarysClusterService_theAdminCan() {
    AdminTestSupport.setPassword(c, "operator", "operator-password-1");
    assertTrue(member.node().isPrimary());
    for (String action : new String[] {"stop", "restart"}) {
      AdminRestClient.Reply r =
          c.call("POST", "/api/lunasa/services/cluster/actions/" + action)
              .as("operator", "operator-password-1")
              .send();
      assertEquals(403, r.status(), r.body());
      assertEquals("CKR_FUNCTION_REJECTED", r.errorCode());
      assertTrue(r.message().contains("primary"), r.message());
      assertTrue(member.cryptoPort() > 0, "the crypto API still runs after " + action);
    }
    c.call("POST", "/api/lunasa/services/cluster/actions/stop")
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(200);
    assertEquals(-1, member.cryptoPort());
  }
}
