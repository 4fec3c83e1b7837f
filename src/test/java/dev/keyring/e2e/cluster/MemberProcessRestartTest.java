package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.KeyringSessionHandle;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Role;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.cluster.MemberProcess;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SignatureException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member in its own JVM, provisioned through its admin API, killed with SIGKILL and started again
 * on its data directory: an application using the provider signs with the same key handle
 * afterwards, without a restart of its own.
 */
@Timeout(300)
class MemberProcessRestartTest {
  private static final String ADMIN_PW = "admin-password-1";
  private static final String SO = "so-password-1";
  private static final String PO = "po-password-1";
  private static final String CO = "co-password-1";
  private static final String KEYRING_INITIAL = "keyring-initial-1";
  private static final String KEYRING_PW = "keyring-password-2";

  @Test
  void killedMember_restartedOnItsData_servesTheSameKeyToTheSameProvider(@TempDir Path dir)
      throws Exception {
    try (MemberProcess member = MemberProcess.start(dir.resolve("member"), ADMIN_PW)) {
      String clusterId = provision(member);
      Path conf = register(member, clusterId, dir.resolve("client").resolve("Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringSessionHandle s = client.openSession("app100")) {
        s.login(Role.KRSO, KEYRING_INITIAL);
        s.changePassword(KEYRING_INITIAL, KEYRING_PW);
        s.initKrco(KEYRING_PW);
        s.logout();
      }

      KeyringProvider provider = new KeyringProvider(conf);
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", provider);
        ks.load(
            new ByteArrayInputStream("slot=app100\n".getBytes(StandardCharsets.UTF_8)),
            KEYRING_PW.toCharArray());
        KeyPair kp = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        assertTrue(Signing.signsAndVerifies(provider, kp));

        member.kill();
        assertFalse(member.isAlive());
        assertThrows(
            SignatureException.class,
            () -> Signing.signsAndVerifies(provider, kp),
            "no member, no signature");

        member.restart();
        assertTrue(
            Signing.signsAndVerifies(provider, kp),
            "the same handle signs once the member is back:\n" + member.output());
      } finally {
        provider.close();
      }
    }
  }

  /** HSM, partition, CO, cluster and one keyring (app100), as an operator does it. */
  private static String provision(MemberProcess m) {
    ok(m, "hsm", "init", "-label", "hsm1", "-password", SO);
    ok(m, "partition", "create", "-label", "clusterpar", "-sopassword", SO);
    ok(
        m,
        "partition",
        "init",
        "-partition",
        "clusterpar",
        "-domain",
        "process-domain",
        "-sopassword",
        SO,
        "-password",
        PO);
    ok(
        m,
        "partition",
        "policy",
        "-partition",
        "clusterpar",
        "-policy",
        "40",
        "-value",
        "0",
        "-popassword",
        PO);
    ok(
        m,
        "partition",
        "co",
        "init",
        "-partition",
        "clusterpar",
        "-popassword",
        PO,
        "-password",
        CO + "-initial");
    ok(
        m,
        "partition",
        "co",
        "changepw",
        "-partition",
        "clusterpar",
        "-oldpw",
        CO + "-initial",
        "-newpw",
        CO);
    MemberProcess.SimRun created =
        ok(m, "cluster", "create", "-label", "process-cluster", "-password", SO);
    Matcher id = Pattern.compile("Cluster ID\\s+: ([0-9a-f-]{36})").matcher(created.out());
    assertTrue(id.find(), created::toString);
    MemberProcess.SimRun members = ok(m, "cluster", "member", "list", "-clusterid", id.group(1));
    Matcher self = Pattern.compile("P\\*\\s+([0-9a-f-]{36})").matcher(members.out());
    assertTrue(self.find(), members::toString);
    ok(
        m,
        "cluster",
        "member",
        "authorize",
        "-partition",
        "clusterpar",
        "-memberid",
        self.group(1),
        "-copassword",
        CO);
    ok(
        m,
        "keyring",
        "create",
        "-label",
        "app",
        "-password",
        KEYRING_INITIAL,
        "-partition",
        "clusterpar",
        "-total",
        "1",
        "-index",
        "100",
        "-copassword",
        CO);
    return id.group(1);
  }

  private static MemberProcess.SimRun ok(MemberProcess m, String... args) {
    MemberProcess.SimRun r = m.sim(args);
    assertEquals(0, r.exit(), () -> String.join(" ", args) + "\n" + r);
    return r;
  }

  private static Path register(MemberProcess m, String clusterId, Path conf) {
    LocalCluster.registerClient(
        "process-client", m.adminPort(), m.fingerprint(), clusterId, ADMIN_PW, conf);
    return conf;
  }
}
