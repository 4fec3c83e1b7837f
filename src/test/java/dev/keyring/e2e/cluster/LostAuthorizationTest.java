package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authorization lost where the administration guide says, with member processes killed by SIGKILL:
 * a single-member cluster started again after the kill is not authorized (it signs with its keys
 * but refuses new keyrings, new objects and backups, saying how to authorize it) until the operator
 * authorizes it, and every acknowledged write from before the kill is there; of a three-member
 * cluster whose members were all killed, the first back is not authorized until the operator
 * authorizes it, and the others take their authorization from it. A member halted inside its clean
 * stop loses its authorization when the clean-stop marker was not written yet, and keeps it once it
 * was.
 */
@Timeout(600)
class LostAuthorizationTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final byte[] DATA = "signed after the crash".getBytes(StandardCharsets.UTF_8);

  @Test
  void aSingleMemberKilledAndStartedAgain_isNotAuthorized_untilTheOperatorAuthorizesIt(
      @TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      Path conf = h.registerClient(0, "lone-client", dir.resolve("client/Chrystoki.conf"));
      List<KeyringKeyPair> acknowledged =
          KeyringSetup.initializeWithKeys(conf, "app1", INITIAL, PASSWORD, 5);
      ClusterHarness.ok(h.member(0), BackupCli.backup("before"));
      String digest = h.state(0).digest();

      h.member(0).kill();
      h.member(0).restart();

      assertFalse(h.authorized(0), "a lone member back from a crash is not authorized");
      JsonNode self = self(h);
      assertFalse(self.path("memberActive").asBoolean(), self::toString);
      assertEquals(digest, h.state(0).digest(), "its state is whole");
      MemberProcess.SimRun create = createKeyring(h, "refused");
      assertNotEquals(0, create.exit(), create.toString());
      assertTrue(create.toString().contains("is not authorized"), create.toString());
      assertTrue(
          create.toString().contains("keyring-sim cluster member authorize -memberid"),
          create.toString());
      MemberProcess.SimRun backup = h.member(0).sim(BackupCli.backup("refused"));
      assertNotEquals(0, backup.exit(), backup.toString());
      assertTrue(backup.toString().contains("is not authorized"), backup.toString());

      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app1")) {
        s.login(Role.KRCO, PASSWORD);
        for (KeyringKeyPair kp : acknowledged) {
          assertTrue(signs(s, kp), "an existing key signs on the unauthorized member");
        }
        HsmException refused =
            assertThrows(
                HsmException.class,
                () ->
                    s.generateKeyPair(
                        KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty()));
        assertEquals(ResultCode.CKR_FUNCTION_REJECTED, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().contains("is not authorized"), refused.getMessage());
        assertEquals(digest, h.state(0).digest(), "nothing changed by the refusals");

        h.authorize(0);
        assertTrue(self(h).path("memberActive").asBoolean());
        KeyringKeyPair after =
            s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
        assertTrue(signs(s, after));
        Set<String> labels = new TreeSet<>();
        for (KeyringObject o : s.findObjects(Attributes.empty())) {
          labels.add(o.label());
        }
        for (int i = 0; i < 5; i++) {
          assertTrue(labels.contains("before-" + i), "acknowledged before the kill: " + labels);
        }
      }
      ClusterHarness.ok(h.member(0), createKeyringArgs("after"));
      ClusterHarness.ok(h.member(0), BackupCli.backup("after"));
      assertEquals(2, h.state(0).keyrings());
    }
  }

  @Test
  void everyMemberKilled_theFirstBackWaitsForTheOperator_theOthersTakeItsAuthorization(
      @TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, 3, 1);
      String digest = h.awaitConverged(SETTLE).digest();
      for (int i = 2; i >= 0; i--) {
        h.member(i).kill();
      }

      h.member(0).restart(); // the primary, first back
      assertFalse(h.authorized(0), "the first member back after every member failed");
      MemberProcess.SimRun refused = createKeyring(h, "refused");
      assertNotEquals(0, refused.exit(), refused.toString());
      assertTrue(refused.toString().contains("is not authorized"), refused.toString());

      h.member(1).restart();
      h.member(2).restart();
      h.awaitConverged(SETTLE);
      // no member is authorized, so none hands it over
      for (int i = 0; i < 3; i++) {
        assertFalse(h.authorized(i), "member " + i + " before the operator authorized one");
      }

      h.authorize(0);
      for (int i = 1; i < 3; i++) {
        int m = i;
        ClusterHarness.await(
            "member " + m + " takes its authorization from member 0",
            SETTLE,
            () -> h.authorized(m));
      }
      assertEquals(digest, h.awaitConverged(SETTLE).digest(), "nothing lost");
      ClusterHarness.ok(h.member(0), createKeyringArgs("after"));
      ClusterHarness.State done = h.awaitConverged(SETTLE);
      assertEquals(4, done.keyrings());
    }
  }

  @Test
  void aCrashInsideTheCleanStop_beforeTheMarkerLosesIt_afterTheMarkerKeepsIt(@TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      h.member(0).close(); // SIGTERM: a clean stop
      h.startMember(0, Map.of("stopHaltAt", "before-marker"));
      assertTrue(h.authorized(0), "a clean stop keeps the authorization");

      h.member(0).close(); // SIGTERM, halted once stopped, before the marker is written
      h.startMember(0, Map.of("stopHaltAt", "after-marker"));
      assertFalse(h.authorized(0), "halted before the marker: as a crash");
      MemberProcess.SimRun refused = createKeyring(h, "refused");
      assertNotEquals(0, refused.exit(), refused.toString());
      assertTrue(refused.toString().contains("is not authorized"), refused.toString());
      h.authorize(0);

      h.member(0).close(); // SIGTERM, halted right after the marker was written
      h.startMember(0, Map.of());
      assertTrue(h.authorized(0), "halted after the marker: its stop was complete");
      ClusterHarness.ok(h.member(0), createKeyringArgs("after"));
      assertEquals(2, h.state(0).keyrings());
    }
  }

  private static MemberProcess.SimRun createKeyring(ClusterHarness h, String label) {
    return h.member(0).sim(createKeyringArgs(label));
  }

  private static String[] createKeyringArgs(String label) {
    return new String[] {
      "keyring",
      "create",
      "-label",
      label,
      "-password",
      INITIAL,
      "-partition",
      ClusterHarness.PARTITION,
      "-copassword",
      ClusterHarness.CO
    };
  }

  private static JsonNode self(ClusterHarness h) {
    JsonNode list = h.members(0);
    for (JsonNode m : list) {
      if (m.path("local").asBoolean()) {
        return m;
      }
    }
    throw new AssertionError("no local member: " + list);
  }

  private static boolean signs(KeyringChannel s, KeyringKeyPair kp) throws Exception {
    byte[] sig =
        s.sign(kp.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(kp.publicKey().toPublicKey());
    v.update(DATA);
    return v.verify(sig);
  }
}
