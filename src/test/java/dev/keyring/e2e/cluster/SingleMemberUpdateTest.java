package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guide's procedure for updating a single-member cluster, with a member process: stop and
 * disable the cluster service, upload and install the package, restart the member (a clean stop),
 * and the member — with nobody to take its authorization from — runs the new version but is not
 * authorized: its keys sign, new keys are refused, until the operator's {@code authorize}; then
 * enable. Every key from before is there.
 */
@Timeout(300)
class SingleMemberUpdateTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final String N1 = "104-00002";
  private static final byte[] DATA = "after the update".getBytes(StandardCharsets.UTF_8);

  @Test
  void theLoneMember_runsTheNewVersion_andWaitsForTheOperatorsAuthorization(@TempDir Path dir)
      throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      Path conf = h.registerClient(0, "lone-client", dir.resolve("client/Chrystoki.conf"));
      List<KeyringKeyPair> before =
          KeyringSetup.initializeWithKeys(conf, "app1", INITIAL, PASSWORD, 3);
      MemberProcess m = h.member(0);
      ClusterHarness.ok(m, "service", "stop", "cluster");
      RollingUpdateTest.action(m, "disable");
      RollingUpdateTest.upload(m, N1);
      String upgraded = ClusterHarness.ok(m, "package", "upgrade").out();
      System.out.println(upgraded);
      assertTrue(upgraded.contains("cluster_service-104-00002.x86_64"), upgraded);
      m.close(); // SIGTERM: a clean stop
      m.restart();

      JsonNode self = self(h);
      System.out.println("after the update: " + self);
      assertEquals(N1, self.path("version").asText(), self::toString);
      assertFalse(self.path("restartService").asBoolean(), self::toString);
      assertFalse(h.authorized(0), "a lone member after an update waits for the operator");
      String packages = ClusterHarness.ok(m, "package", "list").out();
      System.out.println(packages);
      assertTrue(packages.contains("cluster_service-104-00002.x86_64"), packages);
      assertFalse(packages.contains("104-00001"), packages);

      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app1")) {
        s.login(Role.KRCO, PASSWORD);
        for (KeyringKeyPair kp : before) {
          assertTrue(signs(s, kp), "a key from before the update signs");
        }
        HsmException refused =
            assertThrows(
                HsmException.class,
                () ->
                    s.generateKeyPair(
                        KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty()));
        assertEquals(ResultCode.CKR_FUNCTION_REJECTED, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().contains("is not authorized"), refused.getMessage());

        h.authorize(0); // the guide's step 6
        RollingUpdateTest.action(m, "enable"); // step 7
        assertTrue(h.authorized(0));
        KeyringKeyPair after =
            s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
        assertTrue(signs(s, after));
        Set<String> labels = new TreeSet<>();
        for (KeyringObject o : s.findObjects(Attributes.empty())) {
          labels.add(o.label());
        }
        for (int i = 0; i < 3; i++) {
          assertTrue(labels.contains("before-" + i), "from before the update: " + labels);
        }
      }
      MemberProcess.SimRun status = m.sim("service", "status", "cluster");
      assertTrue(
          status.out().lines().anyMatch(l -> l.contains("On Boot") && l.contains("yes")),
          "enabled: " + status);
    }
  }

  private static JsonNode self(ClusterHarness h) {
    for (JsonNode m : h.members(0)) {
      if (m.path("local").asBoolean()) {
        return m;
      }
    }
    throw new AssertionError("no local member");
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
