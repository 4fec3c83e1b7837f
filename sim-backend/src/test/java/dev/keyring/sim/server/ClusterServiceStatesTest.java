package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static dev.keyring.sim.server.AdminTestSupport.SO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster service's states as the administration guide gives them: stopped (and not startable)
 * without the V1 partition; not started, at boot or on request, while the member's clock lies
 * outside the validity of the cluster certificates; and the core IP address, set once, forgotten by
 * a factory reset so that it can be set anew.
 */
class ClusterServiceStatesTest {
  @TempDir Path dir;

  private static Member start(Path dir, Duration clockOffset) throws Exception {
    return Member.start(
        MemberConfig.builder()
            .appliance(ApplianceConfig.builder().dataDir(dir).kdfIterations(1000).build())
            .adminPort(0)
            .cryptoPort(0)
            .initialAdminPassword(ADMIN_PW)
            .clockOffset(clockOffset)
            .build());
  }

  private static AdminRestClient.Call admin(Member m, String method, String path) {
    return new AdminRestClient(m.adminPort(), m.adminCertificate())
        .call(method, path)
        .as(ADMIN, ADMIN_PW);
  }

  private static JsonNode status(Member m) {
    return admin(m, "GET", "/api/lunasa/services/cluster").send().expect(200).json();
  }

  @Test
  void withoutItsPartition_theServiceIsStopped_andCannotStart() throws Exception {
    try (Member m = start(dir, Duration.ZERO)) {
      assertEquals("stopped", status(m).path("status").asText());
      assertFalse(status(m).path("starting").asBoolean());

      AdminRestClient.Reply r =
          admin(m, "POST", "/api/lunasa/services/cluster/actions/start").send();
      assertEquals(409, r.status(), r.body());
      assertTrue(r.body().contains("CKR_TOKEN_NOT_PRESENT"), r.body());
      assertTrue(r.message().contains("V1 partition"), r.body());
      assertEquals("stopped", status(m).path("status").asText());

      AdminTestSupport.prepareHsm(new AdminRestClient(m.adminPort(), m.adminCertificate()));
      admin(m, "POST", "/api/lunasa/services/cluster/actions/start").send().expect(200);
      assertEquals("running", status(m).path("status").asText());
    }
  }

  @Test
  void aStartUnderWay_readsStoppedAndStarting_untilItHasFinished() throws Exception {
    try (Member m = start(dir, Duration.ZERO)) {
      AdminTestSupport.prepareHsm(new AdminRestClient(m.adminPort(), m.adminCertificate()));
      java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      m.adminApi().serviceStartHook =
          () -> {
            held.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          };
      java.util.concurrent.CompletableFuture<Integer> startCall =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> admin(m, "POST", "/api/lunasa/services/cluster/actions/start").send().status());
      held.await();
      JsonNode during = status(m);
      assertEquals("stopped", during.path("status").asText(), during.toString());
      assertTrue(during.path("starting").asBoolean(), during.toString());

      release.countDown();
      assertEquals(200, startCall.get());
      JsonNode after = status(m);
      assertEquals("running", after.path("status").asText(), after.toString());
      assertFalse(after.path("starting").asBoolean(), after.toString());
    }
  }

  @Test
  void aClockOutsideTheCertificates_keepsTheServiceStopped_atBootAndOnStart() throws Exception {
    try (Member m = start(dir, Duration.ZERO)) {
      AdminTestSupport.provision(new AdminRestClient(m.adminPort(), m.adminCertificate()));
      assertTrue(m.cryptoPort() > 0);
    }
    // two days behind: before the cluster CA certificate's start (back-dated one day)
    try (Member m = start(dir, Duration.ofDays(-2))) {
      assertEquals("stopped", status(m).path("status").asText(), "not started at boot");
      assertEquals(-1, m.cryptoPort(), "no crypto API");
      AdminRestClient.Reply r =
          admin(m, "POST", "/api/lunasa/services/cluster/actions/start").send();
      assertEquals(409, r.status(), r.body());
      assertTrue(
          r.message().contains("outside the validity of the cluster certificates"), r.body());
      assertEquals(-1, m.cryptoPort());
    }
    // eleven years ahead: past its end (ten years)
    try (Member m = start(dir, Duration.ofDays(11 * 366))) {
      assertEquals("stopped", status(m).path("status").asText());
      assertEquals(-1, m.cryptoPort());
    }
    // the clock set right again: the service starts at boot as before
    try (Member m = start(dir, Duration.ZERO)) {
      assertEquals("running", status(m).path("status").asText());
      assertTrue(m.cryptoPort() > 0);
    }
  }

  @Test
  void theCoreIpAddress_isForgottenByAFactoryReset() throws Exception {
    try (Member m = start(dir, Duration.ZERO)) {
      AdminTestSupport.provision(new AdminRestClient(m.adminPort(), m.adminCertificate()));
      admin(m, "PUT", "/api/cluster/config")
          .json(Map.of("service", "core", "IpAddress", "127.0.0.1"))
          .send()
          .expect(200);
      assertEquals("127.0.0.1", coreIp(m));

      admin(m, "POST", "/api/lunasa/services/cluster/actions/stop").send().expect(200);
      admin(m, "POST", "/api/lunasa/services/cluster/actions/factoryreset")
          .json(Map.of("authentication", AdminTestSupport.auth("SO", SO)))
          .send()
          .expect(200);

      assertTrue(coreIp(m).isEmpty(), "no core IP address after the reset: " + coreIp(m));
    }
  }

  private static String coreIp(Member m) {
    JsonNode data = admin(m, "GET", "/api/cluster/config").send().expect(200).json().path("data");
    return data.get(0).path("IpAddress").asText("");
  }
}
