package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance users' lockout holds across the members of a cluster (issue 12: counters replicated
 * where the role is cluster-wide): two real members in this JVM (Jetty, TLS, H2 stores), the second
 * joined through the first. Ten wrong passwords for {@code admin} through one member lock it from
 * that source on the other member too; guesses spread over the members add up; another source is
 * not affected; and a member without a majority still counts and locks on its own. The requests
 * come from 127.0.0.1; another source is the member's own check called with another address.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class ReplicatedLockoutTest {
  private static final String OTHER_SOURCE = "198.51.100.20";
  private static final String OPERATOR_PW = "operator-password-1";

  @TempDir Path dir;
  private Member m0;
  private Member m1;
  private AdminRestClient a0;
  private AdminRestClient a1;

  @BeforeEach
  void start() throws Exception {
    m0 = AdminTestSupport.start(dir.resolve("m0"));
    a0 = new AdminRestClient(m0.adminPort(), m0.adminCertificate());
    String cluster = AdminTestSupport.provision(a0);
    m1 = AdminTestSupport.start(dir.resolve("m1"));
    a1 = new AdminRestClient(m1.adminPort(), m1.adminCertificate());
    ReplicatedClientsTest.join(a1, m0, cluster);
    ReplicatedClientsTest.awaitCaughtUp(m1);
  }

  @AfterEach
  void stop() {
    if (m1 != null) {
      m1.close();
    }
    if (m0 != null) {
      m0.close();
    }
  }

  private static int login(AdminRestClient c, String user, String password) {
    return c.call("POST", "/auth/session").as(user, password).send().status();
  }

  /**
   * Waits until the lockout events counted on {@code m} are written to the cluster and both members
   * hold them (a write is acknowledged once a majority holds it, so the other member may still be
   * applying it when the writer returns; on a loaded machine it was, now and then).
   */
  private void flush(Member m) throws InterruptedException {
    m.adminApi().lockouts.flush();
    long written = Math.max(m0.node().position().sequence(), m1.node().position().sequence());
    for (Member each : List.of(m0, m1)) {
      assertTrue(
          each.node().awaitPosition(written, Duration.ofSeconds(30)),
          "a member never held the lockout events");
    }
  }

  @Test
  void tenWrongThroughOneMember_lockTheUserFromThatSourceOnTheOther_anotherSourceUnaffected()
      throws Exception {
    for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
      assertEquals(401, login(a0, ADMIN, "wrong-password-" + i));
    }
    assertEquals(429, login(a0, ADMIN, "wrong-password-10"));
    flush(m0);

    AdminRestClient.Reply refused = a1.call("POST", "/auth/session").as(ADMIN, ADMIN_PW).send();
    assertEquals(429, refused.status(), "the right password through the other member, locked");
    assertTrue(refused.headers().firstValue("Retry-After").isPresent());
    assertTrue(refused.body().contains("CKR_PIN_LOCKED"), refused.body());
    assertEquals(429, login(a0, ADMIN, ADMIN_PW));

    // another source is not affected, on either member
    assertEquals(ADMIN, m1.adminApi().users.authenticate(ADMIN, ADMIN_PW, OTHER_SOURCE).user());
    assertEquals(ADMIN, m0.adminApi().users.authenticate(ADMIN, ADMIN_PW, OTHER_SOURCE).user());
  }

  @Test
  void guessesSpreadOverTheMembers_addUp() throws Exception {
    AdminTestSupport.setPassword(a0, "operator", OPERATOR_PW);
    for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
      Member m = i % 2 == 0 ? m0 : m1;
      assertEquals(401, login(i % 2 == 0 ? a0 : a1, "operator", "wrong-password-" + i));
      flush(m);
    }
    // five failures on member 1 and four on member 0: neither has ten of its own
    assertEquals(401, login(a0, "operator", "wrong-password-10"));
    flush(m0);
    assertEquals(429, login(a1, "operator", OPERATOR_PW), "ten in the cluster lock it");
    assertEquals(429, login(a0, "operator", OPERATOR_PW));
    assertEquals(
        "operator", m1.adminApi().users.authenticate("operator", OPERATOR_PW, OTHER_SOURCE).user());
  }

  @Test
  void aRightPassword_startsTheSourcesCountAgain_onEveryMember() throws Exception {
    for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
      assertEquals(401, login(a0, ADMIN, "wrong-password-" + i));
    }
    flush(m0);
    assertEquals(200, login(a1, ADMIN, ADMIN_PW) / 100 * 100, "nine do not lock");
    flush(m1);
    for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
      assertEquals(401, login(a1, ADMIN, "wrong-password-" + i));
    }
    flush(m1);
    assertEquals(200, login(a0, ADMIN, ADMIN_PW) / 100 * 100, "the count started again");
  }

  @Test
  void aNewPasswordSetThroughTheOtherMember_liftsTheLockOnBoth() throws Exception {
    AdminTestSupport.setPassword(a0, "monitor", "monitor-password-1");
    for (int i = 1; i <= AdminLockout.THRESHOLD; i++) {
      login(a0, "monitor", "wrong-password-" + i);
    }
    flush(m0);
    assertEquals(429, login(a1, "monitor", "monitor-password-1"));
    AdminTestSupport.setPassword(a1, "monitor", "monitor-password-2");
    assertEquals(204, login(a0, "monitor", "monitor-password-2"));
    assertEquals(204, login(a1, "monitor", "monitor-password-2"));
  }

  @Test
  void aMemberWithoutAMajority_stillCountsAndLocksOnItsOwn() throws Exception {
    m0.close(); // the primary: member 1 alone has no majority, its writes fail
    m0 = null;
    for (int i = 1; i < AdminLockout.THRESHOLD; i++) {
      assertEquals(401, login(a1, ADMIN, "wrong-password-" + i));
    }
    assertEquals(429, login(a1, ADMIN, "wrong-password-10"));
    assertEquals(429, login(a1, ADMIN, ADMIN_PW), "locked although no event was replicated");
    ApiError other =
        assertThrows(
            ApiError.class,
            () -> m1.adminApi().users.authenticate(ADMIN, "wrong-password", OTHER_SOURCE));
    assertEquals(401, other.status, "another source is counted apart");
  }
}
