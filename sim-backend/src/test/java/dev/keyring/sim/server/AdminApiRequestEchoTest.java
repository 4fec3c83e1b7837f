package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API's refusals never repeat a value of the request: not a 100 KB keyring label, not a
 * user, service, role or keyring the path names, not the path itself.
 */
class AdminApiRequestEchoTest {
  @TempDir Path dir;
  private Member member;
  private AdminRestClient c;
  private String marker;

  @BeforeEach
  void start() throws Exception {
    member = AdminTestSupport.start(dir);
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    AdminTestSupport.provision(c);
    byte[] r = new byte[8];
    new Random().nextBytes(r);
    marker = "MARKER" + HexFormat.of().formatHex(r);
  }

  @AfterEach
  void stop() {
    member.close();
  }

  private AdminRestClient.Call admin(String method, String path) {
    return c.call(method, path).as(ADMIN, ADMIN_PW);
  }

  private void assertRefusedWithoutEcho(AdminRestClient.Reply r) {
    assertTrue(r.status() >= 400 && r.status() < 500, r.status() + " " + r.body());
    assertFalse(r.body().contains(marker), "the answer repeats a request value: " + r.body());
    assertTrue(r.body().length() < 2_000, "a short answer: " + r.body().length() + " chars");
  }

  @Test
  void hundredKilobyteKeyringLabel_isRefusedWithoutBeingRepeated() {
    for (String label : new String[] {marker + "L".repeat(100_000), marker + "!"}) {
      assertRefusedWithoutEcho(
          admin("POST", "/api/keyrings")
              .json(
                  Map.of(
                      "authentication",
                      AdminTestSupport.co(),
                      "keyRingLabel",
                      label,
                      "keyRingPassword",
                      "keyring-pw-1"))
              .send());
    }
    // a label that fits, but not with the index appended
    String sixtyTwo = "k" + marker + "x".repeat(61 - marker.length());
    assertRefusedWithoutEcho(
        admin("POST", "/api/keyrings")
            .json(
                Map.of(
                    "authentication",
                    AdminTestSupport.co(),
                    "keyRingLabel",
                    sixtyTwo,
                    "keyRingPassword",
                    "keyring-pw-1",
                    "total",
                    2,
                    "index",
                    100))
            .send());
  }

  @Test
  void namesInThePath_andThePathItself_areNotRepeated() {
    assertRefusedWithoutEcho(admin("GET", "/users/" + marker).send());
    assertRefusedWithoutEcho(admin("GET", "/api/keyrings/" + marker).send());
    assertRefusedWithoutEcho(admin("GET", "/api/lunasa/services/" + marker).send());
    assertRefusedWithoutEcho(admin("GET", "/api/" + marker).send());
    assertRefusedWithoutEcho(admin("DELETE", "/api/lunasa/services/" + marker).send());
    assertRefusedWithoutEcho(
        admin("PATCH", "/api/lunasa/services/cluster").json(Map.of("action", marker)).send());
    assertRefusedWithoutEcho(admin("GET", "/api/keyrings").json(Map.of(marker, 1)).send());
  }
}
