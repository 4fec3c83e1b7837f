package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static dev.keyring.sim.server.AdminTestSupport.CO;
import static dev.keyring.sim.server.AdminTestSupport.DOMAIN;
import static dev.keyring.sim.server.AdminTestSupport.PARTITION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.Role;
import dev.keyring.sim.boundary.KeyPairObjects;
import dev.keyring.sim.boundary.ProtectedSmk;
import dev.keyring.sim.boundary.SecretScan;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.store.KeyringRecord;
import dev.keyring.testing.admin.AdminRestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster SMK backed up to a simulated Luna Backup HSM and restored from it, through the admin
 * REST API of real members (Jetty, mutual TLS on loopback): a restored SMK lets a new cluster on
 * another appliance take a keyring backup of the old one and sign with its keys; a cluster with
 * another SMK refuses that backup; every bad input is refused with its code and changes nothing.
 */
class SmkBackupApiTest {
  static final String KR_INITIAL = "keyring-initial-1";
  static final String KR_PW = "keyring-password-2";
  static final String FILE_PW = "backup-password-1";
  static final String BSO = "backup-so-password-1";
  static final String BPW = "backup-partition-pw-1";
  static final byte[] DATA = "signed after the SMK came back".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  Member a;
  AdminRestClient ca;
  String clusterA;
  final List<String> replies = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    a = AdminTestSupport.start(dir.resolve("a"));
    ca = new AdminRestClient(a.adminPort(), a.adminCertificate());
    clusterA = AdminTestSupport.provision(ca);
  }

  @AfterEach
  void tearDown() {
    a.close();
  }

  AdminRestClient.Reply send(AdminRestClient c, String method, String path, Object body) {
    AdminRestClient.Call call = c.call(method, path).as(ADMIN, ADMIN_PW);
    if (body != null) {
      call.json(body);
    }
    AdminRestClient.Reply r = call.send();
    replies.add(r.body());
    return r;
  }

  static String partitionPath(AdminRestClient c) {
    return "/api/lunasa/hsms/" + AdminTestSupport.hsmId(c) + "/partitions/" + PARTITION;
  }

  String attach(AdminRestClient c, Path device) {
    return send(c, "POST", "/api/lunasa/token/backup", Map.of("path", device.toString()))
        .expect(201)
        .json()
        .path("serial")
        .asText();
  }

  void init(AdminRestClient c, String serial) {
    send(
            c,
            "PUT",
            "/api/lunasa/token/backup/" + serial,
            Map.of("label", "usb-backup", "password", BSO, "domain", "backup-hsm-domain"))
        .expect(200);
  }

  AdminRestClient.Reply backup(AdminRestClient c, Map<String, Object> body) {
    return send(c, "POST", partitionPath(c) + "/backup", body);
  }

  static Map<String, Object> backupBody(String serial, Object... extra) {
    Map<String, Object> m =
        BackupRestoreApiTest.map(
            "serial",
            serial,
            "coPassword",
            CO,
            "backupSoPassword",
            BSO,
            "backupPartitionPassword",
            BPW,
            "domain",
            DOMAIN);
    for (int i = 0; i < extra.length; i += 2) {
      if (extra[i + 1] == null) {
        m.remove((String) extra[i]);
      } else {
        m.put((String) extra[i], extra[i + 1]);
      }
    }
    return m;
  }

  AdminRestClient.Reply restore(AdminRestClient c, String serial, String tokenpar, String pw) {
    return send(
        c,
        "POST",
        partitionPath(c) + "/restore",
        BackupRestoreApiTest.map(
            "serial",
            serial,
            "tokenpar",
            tokenpar,
            "backupPartitionPassword",
            pw,
            "coPassword",
            CO));
  }

  String smkFingerprint(AdminRestClient c) {
    return send(c, "GET", partitionPath(c), null)
        .expect(200)
        .json()
        .path("smkFingerprint")
        .asText();
  }

  /** A keyring on member {@code m} with an EC P-256 key pair; returns its public key. */
  static PublicKey keyringWithKey(Member m, String label) {
    KeyringRecord k =
        m.appliance()
            .keyrings()
            .createKeyrings(AdminTestSupport.CO, label, KR_INITIAL, 1, null, null)
            .get(0);
    try (KeyringSession so = m.appliance().keyrings().login(k.id(), Role.KRSO, KR_INITIAL)) {
      so.changePassword(KR_INITIAL, KR_PW);
      so.initKrco(KR_PW);
    }
    try (KeyringSession co = m.appliance().keyrings().login(k.id(), Role.KRCO, KR_PW)) {
      KeyPairObjects kp =
          co.generateKeyPair(
              KeyGenParams.ec(Curve.P256),
              Attributes.builder().label("pub").build(),
              Attributes.builder().label("priv").build());
      return PublicKeyAttributes.toPublicKey(kp.publicKey().attributes());
    }
  }

  static byte[] signWithPrivateKey(Member m, String label) {
    KeyringRecord k = m.appliance().keyrings().keyring(label);
    try (KeyringSession co = m.appliance().keyrings().login(k.id(), Role.KRCO, KR_PW)) {
      long handle = co.findObjects(Attributes.builder().label("priv").build()).get(0).handle();
      return co.sign(handle, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    }
  }

  /** Runs a cluster backup on {@code c}'s primary into the admin's file {@code name}. */
  void clusterBackup(AdminRestClient c, String cluster, String name) {
    send(
            c,
            "PUT",
            "/api/clusters/" + cluster + "/backup",
            BackupRestoreApiTest.map("action", "run", "filename", name, "password", FILE_PW))
        .expect(200);
  }

  JsonNode clusterRestore(AdminRestClient c, String name) throws InterruptedException {
    AdminRestClient.Reply r =
        send(
            c,
            "PUT",
            "/api/cluster/restore",
            BackupRestoreApiTest.map("filename", name, "password", FILE_PW, "type", "keyring"));
    if (r.status() != 202) {
      return r.json();
    }
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode s = send(c, "GET", "/api/cluster/restore", null).expect(200).json();
      if (!"running".equals(s.path("status").asText()) || System.nanoTime() > end) {
        return s;
      }
      Thread.sleep(50);
    }
  }

  static void copyFile(Path from, Path toMemberDir, String name) throws Exception {
    Path files = toMemberDir.resolve("files/admin");
    dev.keyring.store.OwnerOnlyFiles.directory(toMemberDir.resolve("files"));
    dev.keyring.store.OwnerOnlyFiles.directory(files);
    Files.copy(from, files.resolve(name));
  }

  @Test
  void smkRestoredOnAnotherAppliance_letsItsNewCluster_restoreAKeyringBackup_andSignWithIt()
      throws Exception {
    PublicKey before = keyringWithKey(a, "payments");
    clusterBackup(ca, clusterA, "kr.bak");
    String smkA = smkFingerprint(ca);

    Path usb = dir.resolve("usb-backup-hsm");
    String serial = attach(ca, usb);
    JsonNode listed = send(ca, "GET", "/api/lunasa/token/backup", null).expect(200).json();
    assertEquals(serial, listed.path("data").get(0).path("serial").asText());
    assertFalse(listed.path("data").get(0).path("initialized").asBoolean());
    init(ca, serial);
    JsonNode done = backup(ca, backupBody(serial)).expect(200).json();
    String day = LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE);
    assertEquals(PARTITION + "_" + day, done.path("tokenpar").asText());
    assertEquals(smkA, done.path("smkFingerprint").asText());
    JsonNode backups =
        send(ca, "GET", "/api/lunasa/token/backup/" + serial + "/partitions", null)
            .expect(200)
            .json()
            .path("data");
    assertEquals(1, backups.size());
    assertEquals(PARTITION, backups.get(0).path("sourcePartition").asText());
    assertEquals(smkA, backups.get(0).path("smkFingerprint").asText());
    send(ca, "DELETE", "/api/lunasa/token/backup/" + serial, null).expect(204);

    try (Member b = AdminTestSupport.start(dir.resolve("b"))) {
      AdminRestClient cb = new AdminRestClient(b.adminPort(), b.adminCertificate());
      AdminTestSupport.prepareHsm(cb);
      assertEquals(serial, attach(cb, usb));
      JsonNode restored = restore(cb, serial, PARTITION + "_" + day, BPW).expect(200).json();
      assertEquals(smkA, restored.path("smkFingerprint").asText());
      assertEquals(smkA, smkFingerprint(cb));

      String clusterB = AdminTestSupport.createCluster(cb, "restored-cluster");
      assertNotEquals(clusterA, clusterB);
      AdminTestSupport.authorize(cb, clusterB, AdminTestSupport.memberId(cb, clusterB));
      assertEquals(smkA, smkFingerprint(cb), "the new cluster uses the restored SMK");
      copyFile(dir.resolve("a/files/admin/kr.bak"), dir.resolve("b"), "kr.bak");
      JsonNode s = clusterRestore(cb, "kr.bak");
      assertEquals("completed", s.path("status").asText(), s.toString());

      byte[] sig = signWithPrivateKey(b, "payments");
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(before);
      v.update(DATA);
      assertTrue(v.verify(sig), "a key of the restored keyring signs as it did before");

      // the restored partition now encrypts a cluster: a second restore is refused
      AdminRestClient.Reply again = restore(cb, serial, PARTITION + "_" + day, BPW);
      assertEquals(400, again.status(), again.body());
      assertTrue(again.message().contains("already encrypts cluster"), again.message());
    }

    // the SMK is in no answer of the API and in no file of the backup HSM, in any form
    byte[] smk = rawSmk(a, dir.resolve("a"));
    assertEquals(32, smk.length);
    for (String body : replies) {
      assertFalse(SecretScan.anyForm(body.getBytes(StandardCharsets.UTF_8), smk), body);
    }
    List<Path> files;
    try (java.util.stream.Stream<Path> s = Files.walk(usb)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    assertEquals(2, files.size(), files::toString); // state.json and device.key
    for (Path f : files) {
      assertFalse(SecretScan.anyForm(Files.readAllBytes(f), smk), f::toString);
    }
  }

  /** Member {@code m}'s SMK, unwrapped here with its device key file: what must never show. */
  static byte[] rawSmk(Member m, Path dataDir) throws Exception {
    JsonNode state =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(m.appliance().store().hsmState("hsm").orElseThrow());
    ProtectedSmk p = ProtectedSmk.decode(state.path("partition").path("smk").asText());
    javax.crypto.Cipher kwp = javax.crypto.Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
    kwp.init(
        javax.crypto.Cipher.UNWRAP_MODE,
        new javax.crypto.spec.SecretKeySpec(
            Files.readAllBytes(dataDir.resolve("hsm/device.key")), "AES"));
    return kwp.unwrap(p.wrapped(), "AES", javax.crypto.Cipher.SECRET_KEY).getEncoded();
  }

  @Test
  void aMemberHoldingTheRestoredSmk_joinsTheClusterOfThatSmk() throws Exception {
    Path usb = dir.resolve("usb");
    String serial = attach(ca, usb);
    init(ca, serial);
    backup(ca, backupBody(serial, "tokenpar", "a-smk")).expect(200);
    send(ca, "DELETE", "/api/lunasa/token/backup/" + serial, null).expect(204);
    String smkA = smkFingerprint(ca);
    try (Member b = AdminTestSupport.start(dir.resolve("b"))) {
      AdminRestClient cb = new AdminRestClient(b.adminPort(), b.adminCertificate());
      AdminTestSupport.prepareHsm(cb);
      attach(cb, usb);
      restore(cb, serial, "a-smk", BPW).expect(200);
      Map<String, Object> join = new java.util.HashMap<>();
      join.put("action", "join");
      join.put("authentication", AdminTestSupport.co());
      join.put("remoteClusterIpAddress", "127.0.0.1");
      join.put("remoteAdminPort", a.adminPort());
      join.put("remoteAdminPassword", ADMIN_PW);
      send(cb, "PUT", "/api/clusters/" + clusterA, join).expect(200);
      assertEquals(smkA, smkFingerprint(cb));
      assertEquals(
          clusterA, b.appliance().cluster().orElseThrow().id().toString(), "B is in A's cluster");
    }
  }

  @Test
  void anAttachedBackupHsm_staysConnectedAcrossARestart_andOneWhoseDirectoryIsGoneIsPassedBy()
      throws Exception {
    Path kept = dir.resolve("usb-kept");
    Path gone = dir.resolve("usb-gone");
    String serial = attach(ca, kept);
    init(ca, serial);
    backup(ca, backupBody(serial, "tokenpar", "kept")).expect(200);
    attach(ca, gone);
    a.close();
    try (java.util.stream.Stream<Path> files = Files.walk(gone)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    a = AdminTestSupport.start(dir.resolve("a"));
    ca = new AdminRestClient(a.adminPort(), a.adminCertificate());
    JsonNode listed = send(ca, "GET", "/api/lunasa/token/backup", null).expect(200).json();
    assertEquals(1, listed.path("data").size(), listed::toString);
    assertEquals(serial, listed.path("data").get(0).path("serial").asText());
    assertTrue(listed.path("data").get(0).path("initialized").asBoolean());
    assertEquals(
        "kept",
        send(ca, "GET", "/api/lunasa/token/backup/" + serial + "/partitions", null)
            .expect(200)
            .json()
            .path("data")
            .get(0)
            .path("tokenpar")
            .asText());
  }

  @Test
  void aClusterBackup_isRefusedByAClusterWithAnotherSmk_namingTheMismatch_andNothingChanges()
      throws Exception {
    keyringWithKey(a, "payments");
    clusterBackup(ca, clusterA, "kr.bak");
    String smkA = smkFingerprint(ca);
    try (Member b = AdminTestSupport.start(dir.resolve("b"))) {
      AdminRestClient cb = new AdminRestClient(b.adminPort(), b.adminCertificate());
      String clusterB = AdminTestSupport.provision(cb);
      String smkB = smkFingerprint(cb);
      assertNotEquals(smkA, smkB);
      String digest =
          send(cb, "GET", "/api/clusters/" + clusterB + "/state", null)
              .expect(200)
              .json()
              .path("digest")
              .asText();
      copyFile(dir.resolve("a/files/admin/kr.bak"), dir.resolve("b"), "kr.bak");
      JsonNode r = clusterRestore(cb, "kr.bak");
      assertEquals(
          "CKR_ENCRYPTED_DATA_INVALID", r.path("error").path("code").asText(), r::toString);
      String message = r.toString();
      assertTrue(message.contains(smkA) && message.contains(smkB), message);
      assertTrue(message.contains("SMK"), message);
      assertTrue(b.appliance().store().keyringByLabel("payments").isEmpty());
      assertEquals(
          digest,
          send(cb, "GET", "/api/clusters/" + clusterB + "/state", null)
              .expect(200)
              .json()
              .path("digest")
              .asText());
    }
  }
}
