package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.admin.AdminRestClient;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request that changes something, sent by a browser from a page of another origin (another host,
 * or another port of the member's own host) with the operator's credentials, is refused before
 * anything is read or changed; the admin API's own origin, and clients that are not browsers, pass.
 */
class AdminCrossOriginTest {
  @TempDir Path dir;
  private Member member;
  private AdminRestClient c;
  private AdminRestClient h1;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    h1 =
        new AdminRestClient(
            member.adminPort(), member.adminCertificate(), HttpClient.Version.HTTP_1_1);
    AdminTestSupport.provision(c);
    AdminTestSupport.setPassword(c, "monitor", "monitor-password-1");
  }

  @AfterEach
  void stop() {
    member.close();
  }

  private AdminRestClient.Reply setMonitorPassword(
      AdminRestClient client, String header, String value, String password) {
    return client
        .call("PATCH", "/users/monitor")
        .as(ADMIN, ADMIN_PW)
        .header(header, value)
        .json(Map.of("password", password))
        .send();
  }

  private boolean monitorLogsInWith(String password) {
    return c.call("POST", "/auth/session").as("monitor", password).send().status() == 204;
  }

  @Test
  void aChangeFromAPageOfAnotherOrigin_isRefused_andChangesNothing() {
    String own = "https://127.0.0.1:" + member.adminPort();
    String[][] refused = {
      {"Origin", "https://attacker.example"},
      {"Origin", "https://127.0.0.1:" + (member.adminPort() == 8443 ? 8444 : 8443)},
      {"Origin", "http://127.0.0.1:" + member.adminPort()},
      {"Origin", "null"},
      {"Sec-Fetch-Site", "cross-site"},
      {"Sec-Fetch-Site", "same-site"},
    };
    for (AdminRestClient client : new AdminRestClient[] {c, h1}) {
      for (String[] h : refused) {
        AdminRestClient.Reply r = setMonitorPassword(client, h[0], h[1], "taken-over-1");
        assertEquals(403, r.status(), h[0] + ": " + h[1] + " " + r.body());
        assertEquals("CKR_FUNCTION_REJECTED", r.errorCode());
        assertTrue(r.message().contains("another origin"), r.message());
      }
      // a login from there is refused too
      AdminRestClient.Reply login =
          client
              .call("POST", "/auth/session")
              .as("monitor", "monitor-password-1")
              .header("Origin", "https://attacker.example")
              .send();
      assertEquals(403, login.status(), login.body());
    }
    assertTrue(monitorLogsInWith("monitor-password-1"), "the password was not changed");
    assertEquals(
        200,
        c.call("GET", "/users/monitor").as(ADMIN, ADMIN_PW).header("Origin", own).send().status());
  }

  @Test
  void theAdminApisOwnOrigin_aReadFromElsewhere_andClientsThatAreNotBrowsers_pass() {
    String own = "https://127.0.0.1:" + member.adminPort();
    setMonitorPassword(c, "Origin", own, "monitor-password-2").expect(200);
    assertTrue(monitorLogsInWith("monitor-password-2"));
    setMonitorPassword(h1, "Origin", own, "monitor-password-3").expect(200);
    setMonitorPassword(c, "Sec-Fetch-Site", "same-origin", "monitor-password-4").expect(200);
    setMonitorPassword(c, "Sec-Fetch-Site", "none", "monitor-password-5").expect(200);
    c.call("PATCH", "/users/monitor")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("password", "monitor-password-6"))
        .send()
        .expect(200);
    assertTrue(monitorLogsInWith("monitor-password-6"));
    // reading is not refused: the browser keeps the answer from the other page
    AdminRestClient.Reply read =
        c.call("GET", "/users/monitor")
            .as(ADMIN, ADMIN_PW)
            .header("Origin", "https://attacker.example")
            .send();
    assertEquals(200, read.status(), read.body());
  }
}
