package dev.keyring.e2e;

import static dev.keyring.testing.admin.AdminRestClient.auth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.cli.CliRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path from nothing, over the public interfaces only: a member is started; its HSM,
 * partition, CO, cluster, member authorization and ten keyrings are set up over the admin REST API;
 * a client registers; the client's keyring SO changes the initial password and initializes the
 * crypto officer, who generates RSA-2048 and P-256 key pairs and signs; the JDK verifies with the
 * public keys the member returned. No session is left open, and a monitor user cannot create
 * keyrings.
 */
@Timeout(300)
class MemberFromNothingTest {
  static final String ADMIN = "admin";
  static final String ADMIN_PW = "admin-password-1";
  static final String SO = "so-password-1";
  static final String PO = "po-password-1";
  static final String CO_INITIAL = "co-initial-1";
  static final String CO = "co-password-1";
  static final String PARTITION = "clusterpar";
  static final String KEYRING_INITIAL = "keyring-initial-1";
  static final String KEYRING_PW = "keyring-password-2";
  static final Duration LIMIT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void fromNothing_toSignaturesTheJdkVerifies_withoutLeakingSessions() throws Exception {
    try (Member member =
        Member.start(
            MemberConfig.builder()
                .appliance(
                    ApplianceConfig.builder()
                        .dataDir(dir.resolve("member"))
                        .kdfIterations(1000)
                        .build())
                .adminPort(0)
                .cryptoPort(0)
                .initialAdminPassword(ADMIN_PW)
                .build())) {
      assertTimeoutPreemptively(LIMIT, () -> fromNothing(member));
      assertEquals(0, member.openSessions(), "member sessions left open");
    }
  }

  private void fromNothing(Member member) throws Exception {
    AdminRestClient rest = new AdminRestClient(member.adminPort(), member.adminCertificate());

    // ---- HSM, partition, PO, policy 40 = 0, CO (initialized, then changed)
    String hsmId =
        rest.send("GET", "/api/lunasa/hsms", ADMIN, ADMIN_PW, null)
            .expect(200)
            .json()
            .path("data")
            .get(0)
            .path("hsmid")
            .asText();
    String hsm = "/api/lunasa/hsms/" + hsmId;
    String par = hsm + "/partitions/" + PARTITION;
    assertFalse(
        rest.send("GET", hsm, ADMIN, ADMIN_PW, null)
            .expect(200)
            .json()
            .path("initialized")
            .asBoolean());
    rest.send("PUT", hsm, ADMIN, ADMIN_PW, Map.of("label", "hsm1", "password", SO)).expect(200);
    rest.send(
            "POST",
            hsm + "/partitions",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("SO", SO), "label", PARTITION, "version", "V1"))
        .expect(201);
    rest.send(
            "PUT",
            par,
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("SO", SO), "password", PO, "domain", "e2e-domain"))
        .expect(200);
    rest.send(
            "PUT",
            par + "/policies/40",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("PO", PO, PARTITION), "value", 0))
        .expect(200);
    rest.send(
            "PUT",
            par + "/roles/co",
            ADMIN,
            ADMIN_PW,
            Map.of("authentication", auth("PO", PO, PARTITION), "password", CO_INITIAL))
        .expect(200);
    JsonNode partition =
        rest.send(
                "PATCH",
                par + "/roles/co",
                ADMIN,
                ADMIN_PW,
                Map.of("authentication", auth("CO", CO_INITIAL, PARTITION), "newPassword", CO))
            .expect(200)
            .json();
    assertTrue(partition.path("coInitialized").asBoolean());
    assertFalse(partition.path("coMustChangePassword").asBoolean());

    // ---- cluster, member authorization
    JsonNode created =
        rest.send(
                "POST",
                "/api/clusters",
                ADMIN,
                ADMIN_PW,
                Map.of("authentication", auth("SO", SO), "clusterLabel", "e2e-cluster"))
            .expect(201)
            .json();
    String clusterId = created.path("clusterUUID").asText();
    JsonNode members =
        rest.send("GET", "/api/clusters/" + clusterId + "/members", ADMIN, ADMIN_PW, null)
            .expect(200)
            .json()
            .path("data");
    assertEquals(1, members.size());
    String memberId = members.get(0).path("memberID").asText();
    assertEquals(created.path("memberID").asText(), memberId);
    assertTrue(members.get(0).path("primaryNode").asBoolean());
    assertFalse(members.get(0).path("authorized").asBoolean());
    JsonNode authorized =
        rest.send(
                "PUT",
                "/api/clusters/" + clusterId + "/members/" + memberId,
                ADMIN,
                ADMIN_PW,
                Map.of("action", "authorize", "authentication", auth("CO", CO, PARTITION)))
            .expect(200)
            .json();
    assertTrue(authorized.path("authorized").asBoolean());
    assertEquals("Read-Write", authorized.path("mode").asText());

    // ---- a monitor user reads keyrings but cannot create them
    rest.send(
            "POST",
            "/users",
            ADMIN,
            ADMIN_PW,
            Map.of("userId", "watcher", "role", "monitor", "password", "watcher-pass-1"))
        .expect(201);
    Map<String, Object> createBody = new LinkedHashMap<>();
    createBody.put("authentication", auth("CO", CO, PARTITION));
    createBody.put("keyRingLabel", "app");
    createBody.put("keyRingPassword", KEYRING_INITIAL);
    createBody.put("total", 10);
    createBody.put("index", 100);
    AdminRestClient.Reply forbidden =
        rest.send("POST", "/api/keyrings", "watcher", "watcher-pass-1", createBody).expect(403);
    assertEquals("CKR_FUNCTION_REJECTED", forbidden.errorCode());
    assertEquals(
        0,
        rest.send("GET", "/api/keyrings", "watcher", "watcher-pass-1", null)
            .expect(200)
            .json()
            .path("data")
            .size(),
        "the monitor's refused call created nothing");

    // ---- ten keyrings, labels app100 ... app109
    JsonNode keyrings =
        rest.send("POST", "/api/keyrings", ADMIN, ADMIN_PW, createBody)
            .expect(201)
            .json()
            .path("data");
    List<String> labels = new ArrayList<>();
    keyrings.forEach(k -> labels.add(k.path("keyRingLabel").asText()));
    List<String> expected = new ArrayList<>();
    for (int i = 100; i <= 109; i++) {
      expected.add("app" + i);
    }
    assertEquals(expected, labels.stream().sorted().toList());
    assertEquals(
        10,
        rest.send("GET", "/api/keyrings", ADMIN, ADMIN_PW, null)
            .expect(200)
            .json()
            .path("data")
            .size());

    // ---- registration through the admin API, pinned to the member's admin certificate
    Path conf = dir.resolve("client").resolve("Chrystoki.conf");
    String fingerprint =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(member.adminCertificate().getEncoded()));
    CliRun registered =
        CliRun.run(
            RegisterCommand::run,
            Map.of(RegisterCommand.PASSWORD_ENV, ADMIN_PW),
            "-n",
            "e2e-client",
            "-i",
            "127.0.0.1:" + member.adminPort(),
            "-c",
            clusterId,
            "--config",
            conf.toString(),
            "--admin-fingerprint",
            fingerprint);
    assertEquals(RegisterCommand.OK, registered.exit(), registered::toString);
    assertEquals(
        1,
        rest.send("GET", "/api/clusters/" + clusterId + "/clients", ADMIN, ADMIN_PW, null)
            .expect(200)
            .json()
            .path("data")
            .size());

    // ---- the client from the written configuration
    TransportOptions options =
        TransportOptions.builder()
            .connectTimeout(Duration.ofSeconds(10))
            .readTimeout(Duration.ofSeconds(60))
            .callTimeout(Duration.ofSeconds(90))
            .build();
    KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0, options);
    try (client) {
      List<Slot> slots = client.slots();
      assertEquals(expected, slots.stream().map(Slot::label).sorted().toList());
      Slot app100 =
          slots.stream().filter(s -> s.label().equals("app100")).findFirst().orElseThrow();
      assertTrue(app100.passwordChangeRequired());
      assertFalse(app100.krcoInitialized());

      try (KeyringChannel s = client.openSession("app100")) {
        s.login(Role.KRSO, KEYRING_INITIAL);
        s.changePassword(KEYRING_INITIAL, KEYRING_PW);
        s.initKrco(KEYRING_PW);
        s.logout();
        HsmException wrong =
            org.junit.jupiter.api.Assertions.assertThrows(
                HsmException.class, () -> s.login(Role.KRCO, "not-the-password"));
        assertEquals(ResultCode.CKR_PIN_INCORRECT, wrong.code());
        s.login(Role.KRCO, KEYRING_PW);

        byte[] data = "signed end to end".getBytes(StandardCharsets.UTF_8);
        KeyringKeyPair rsa =
            s.generateKeyPair(
                KeyGenParams.rsa(2048),
                Attributes.builder().label("rsa-2048").build(),
                Attributes.builder().label("rsa-2048").build());
        byte[] rsaSig =
            s.sign(
                rsa.privateKey().handle(),
                Mechanism.CKM_SHA256_RSA_PKCS,
                MechanismParams.NONE,
                data);
        assertTrue(jdkVerify("SHA256withRSA", rsa.publicKey().toPublicKey(), data, rsaSig));

        KeyringKeyPair ec =
            s.generateKeyPair(
                KeyGenParams.ec(Curve.P256),
                Attributes.builder().label("p-256").build(),
                Attributes.builder().label("p-256").build());
        byte[] ecSig =
            s.sign(
                ec.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
        PublicKey ecPub = ec.publicKey().toPublicKey();
        assertEquals("EC", ecPub.getAlgorithm());
        assertTrue(jdkVerify("SHA256withECDSA", ecPub, data, ecSig));
        byte[] tampered = data.clone();
        tampered[0] ^= 1;
        assertFalse(jdkVerify("SHA256withECDSA", ecPub, tampered, ecSig));

        assertEquals(4, s.findObjects(Attributes.empty()).size());
      }
      assertEquals(0, client.openSessionCount());
      JsonNode shown =
          rest.send("GET", "/api/keyrings/app100", ADMIN, ADMIN_PW, null).expect(200).json();
      assertFalse(shown.path("passwordChangeRequired").asBoolean());
      assertTrue(shown.path("krcoInitialized").asBoolean());
      assertEquals(4, shown.path("objects").asInt());
    }
    assertEquals(0, client.connectionCount(), "client connections left open");
    assertEquals(0, member.openSessions(), "member sessions left open");
  }

  static boolean jdkVerify(String alg, PublicKey key, byte[] data, byte[] sig) throws Exception {
    Signature v = Signature.getInstance(alg);
    v.initVerify(key);
    v.update(data);
    return v.verify(sig);
  }
}
