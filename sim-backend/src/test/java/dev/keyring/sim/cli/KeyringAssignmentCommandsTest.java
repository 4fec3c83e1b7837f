package dev.keyring.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.admin.Provisioning;
import dev.keyring.testing.cli.CliRun;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyring-sim keyring assignments|assign|unassign|assignment-mode} against a real member on
 * loopback ports: the mode is off by default, turned on and off, keyrings assigned to a registered
 * client and taken away, and refusals and usage errors with their exit codes.
 */
@Timeout(120)
class KeyringAssignmentCommandsTest {
  private static final String ADMIN_PW = "admin-password-1";

  @TempDir Path dir;

  @Test
  void assignments_areShownChangedAndRefusedClearly() throws Exception {
    try (Member member =
        Member.start(
            MemberConfig.builder()
                .appliance(ApplianceConfig.builder().dataDir(dir).kdfIterations(1000).build())
                .adminPort(0)
                .cryptoPort(0)
                .initialAdminPassword(ADMIN_PW)
                .build())) {
      AdminRestClient rest = new AdminRestClient(member.adminPort(), member.adminCertificate());
      String cluster =
          Provisioning.provision(rest, "hsm1", "dom", "c1").path("clusterUUID").asText();
      member
          .appliance()
          .keyrings()
          .createKeyrings(Provisioning.CO, "app", "ring-initial-1", 1, null, null);
      rest.call("POST", "/api/clusters/" + cluster + "/clients")
          .as("admin", ADMIN_PW)
          .json(Map.of("commonName", "web-1", "csr", csr("web-1")))
          .send()
          .expect(201);

      assertTrue(ok(member, "keyring", "assignments").out().contains("disabled"));
      CliRun assigned = ok(member, "keyring", "assign", "-client", "web-1", "-label", "app");
      assertTrue(
          assigned.out().contains("keyring app assigned to client web-1"), assigned::toString);
      CliRun on = ok(member, "keyring", "assignment-mode", "-enable");
      assertTrue(on.out().contains("keyring assignments enabled"), on::toString);
      CliRun shown = ok(member, "keyring", "assignments");
      assertTrue(
          shown.out().contains("enabled (clients see only their keyrings)"), shown::toString);
      assertTrue(shown.out().matches("(?s).*web-1\\s+app\\s+[0-9a-f-]{36}.*"), shown::toString);
      assertTrue(shown.out().contains("1 assignment"), shown::toString);

      CliRun unknown = sim(member, "keyring", "assign", "-client", "nobody", "-label", "app");
      assertEquals(1, unknown.exit(), unknown::toString);
      assertTrue(unknown.err().contains("no registered client has that name"), unknown::toString);
      CliRun noKeyring = sim(member, "keyring", "assign", "-client", "web-1", "-label", "nope");
      assertEquals(1, noKeyring.exit(), noKeyring::toString);
      assertTrue(noKeyring.err().contains("CKR_SLOT_ID_INVALID"), noKeyring::toString);
      CliRun both = sim(member, "keyring", "assignment-mode", "-enable", "-disable");
      assertEquals(2, both.exit(), both::toString);

      ok(member, "keyring", "unassign", "-client", "web-1", "-label", "app");
      CliRun notAssigned = sim(member, "keyring", "unassign", "-client", "web-1", "-label", "app");
      assertEquals(1, notAssigned.exit(), notAssigned::toString);
      ok(member, "keyring", "assignment-mode", "-disable");
      CliRun off = ok(member, "keyring", "assignments");
      assertTrue(off.out().contains("disabled"), off::toString);
      assertTrue(off.out().contains("0 assignments"), off::toString);
    }
  }

  private static CliRun sim(Member member, String... args) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--port", Integer.toString(member.adminPort())));
    return CliRun.run(
        KeyringSim::run, Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW), all.toArray(String[]::new));
  }

  private static CliRun ok(Member member, String... args) {
    CliRun r = sim(member, args);
    assertEquals(0, r.exit(), r::toString);
    return r;
  }

  private static String csr(String cn) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(
          new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), kp.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
    }
    return w.toString();
  }
}
