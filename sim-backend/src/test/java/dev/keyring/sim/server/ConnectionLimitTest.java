package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.ApplianceConfig;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.http.RawHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code maxConnections}: at the limit the admin API stops accepting, a connection that arrives
 * then waits, and it is served once another closes. Each TLS connection counts once.
 */
class ConnectionLimitTest {
  @TempDir Path dir;

  @Test
  void atTheLimit_newConnectionsWait_andAreServedWhenOneCloses() throws Exception {
    try (Member member =
        Member.start(
            MemberConfig.builder()
                .appliance(ApplianceConfig.builder().dataDir(dir).kdfIterations(1000).build())
                .adminPort(0)
                .cryptoPort(0)
                .initialAdminPassword(ADMIN_PW)
                .maxConnections(16)
                .build())) {
      EndpointLimit limit = member.connectionLimit(false);
      SSLContext tls = AdminRestClient.trusting(member.adminCertificate());
      List<RawHttp> held = new ArrayList<>();
      try {
        for (int i = 0; i < 16; i++) {
          held.add(RawHttp.open(tls, member.adminPort(), Duration.ofSeconds(10)));
        }
        await(() -> limit.open() == 16);
        assertTrue(limit.limiting());

        // one more connection waits to be accepted; a request on it is answered once one closes
        CompletableFuture<Integer> waiting =
            CompletableFuture.supplyAsync(
                () -> {
                  try (RawHttp r = RawHttp.open(tls, member.adminPort(), Duration.ofSeconds(60))) {
                    r.send("GET /api/keyrings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                    return r.status(Duration.ofSeconds(60));
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
        // (the count is not checked here: a connection the acceptor took just as the limit was
        // reached may be counted for a moment before it is held back)
        held.remove(0).close();
        assertEquals(401, waiting.get().intValue(), "served (401: no credentials)");
      } finally {
        held.forEach(RawHttp::close);
      }
      await(() -> !limit.limiting() && limit.open() == 0);
      new AdminRestClient(member.adminPort(), member.adminCertificate())
          .call("GET", "/api/lunasa/hsms")
          .as(ADMIN, ADMIN_PW)
          .send()
          .expect(200);
      assertFalse(limit.limiting());
    }
  }

  /** Waits (up to 30 s) until {@code done}. */
  private static void await(BooleanSupplier done) throws InterruptedException {
    for (int i = 0; i < 3000 && !done.getAsBoolean(); i++) {
      Thread.sleep(10);
    }
    assertTrue(done.getAsBoolean(), "not reached within 30 s");
  }
}
