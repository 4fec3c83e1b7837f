package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static dev.keyring.sim.server.AdminTestSupport.CO;
import static dev.keyring.sim.server.AdminTestSupport.PARTITION;
import static dev.keyring.sim.server.SmkBackupApiTest.BPW;
import static dev.keyring.sim.server.SmkBackupApiTest.BSO;
import static dev.keyring.sim.server.SmkBackupApiTest.backupBody;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input to the backup HSM and SMK backup/restore endpoints of a real member is refused
 * with its status, code and a message naming the rule, never echoes a password, and changes neither
 * the backup HSM's files nor the partition's SMK.
 */
class SmkBackupRefusalsTest {
  @TempDir Path dir;
  Member a;
  AdminRestClient ca;
  String partition;
  final List<String> problems = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    a = AdminTestSupport.start(dir.resolve("a"));
    ca = new AdminRestClient(a.adminPort(), a.adminCertificate());
    AdminTestSupport.provision(ca);
    partition = SmkBackupApiTest.partitionPath(ca);
  }

  @AfterEach
  void tearDown() {
    a.close();
  }

  AdminRestClient.Reply send(String method, String path, Object body) {
    AdminRestClient.Call call = ca.call(method, path).as(ADMIN, ADMIN_PW);
    if (body != null) {
      call.json(body);
    }
    return call.send();
  }

  /** Checks one refusal; collects every mismatch so that one run names them all. */
  void refused(String what, AdminRestClient.Reply r, int status, String code, String text) {
    if (r.status() != status
        || (code != null && !code.equals(r.errorCode()))
        || !r.message().contains(text)) {
      problems.add(what + ": expected " + status + " " + code + " '" + text + "', got " + r.body());
    }
    for (String secret : List.of(CO, BSO, BPW, "wrong-password-9")) {
      if (r.body().contains(secret)) {
        problems.add(what + ": echoes a password: " + r.body());
      }
    }
  }

  @Test
  void everyBadInput_isRefusedWithItsRule_andChangesNothing() throws Exception {
    String smk = smk();
    String token = "/api/lunasa/token/backup";
    Path usb = dir.resolve("usb");
    Files.createDirectories(dir.resolve("junk"));
    Files.writeString(dir.resolve("junk/notes.txt"), "not a backup HSM");

    send("POST", "/users", Map.of("userId", "watcher", "role", "monitor", "password", "watch-1234"))
        .expect(201);
    refused(
        "monitor lists", ca.call("GET", token).as("watcher", "watch-1234").send(), 403, null, "");
    refused(
        "relative path",
        send("POST", token, Map.of("path", "usb")),
        400,
        "CKR_ARGUMENTS_BAD",
        "absolute");
    refused(
        "inside the member",
        send("POST", token, Map.of("path", dir.resolve("a/usb").toString())),
        400,
        "CKR_ARGUMENTS_BAD",
        "inside the member's data directory");
    refused(
        "a directory of something else",
        send("POST", token, Map.of("path", dir.resolve("junk").toString())),
        400,
        "CKR_ARGUMENTS_BAD",
        "holds other files");
    refused(
        "a file",
        send("POST", token, Map.of("path", dir.resolve("junk/notes.txt").toString())),
        400,
        "CKR_ARGUMENTS_BAD",
        "not a directory");
    refused("no path", send("POST", token, Map.of()), 400, "CKR_ARGUMENTS_BAD", "'path'");
    refused(
        "unknown field",
        send("POST", token, Map.of("path", usb.toString(), "usb", 1)),
        400,
        "CKR_ARGUMENTS_BAD",
        "usb");
    String serial =
        send("POST", token, Map.of("path", usb.toString()))
            .expect(201)
            .json()
            .path("serial")
            .asText();
    refused(
        "attached twice",
        send("POST", token, Map.of("path", usb.toString())),
        400,
        "CKR_FUNCTION_FAILED",
        "already connected");
    refused("unknown serial", send("GET", token + "/1234567", null), 404, null, "no backup HSM");
    refused("bad serial", send("GET", token + "/a%20b", null), 400, null, "serial");
    refused(
        "backup to an uninitialized backup HSM",
        send("POST", partition + "/backup", backupBody(serial)),
        400,
        "CKR_CRYPTOKI_NOT_INITIALIZED",
        "not initialized");
    refused(
        "list of an uninitialized backup HSM",
        send("GET", token + "/" + serial + "/partitions", null),
        400,
        "CKR_CRYPTOKI_NOT_INITIALIZED",
        "token backup init");
    refused(
        "bad backup HSM label",
        send("PUT", token + "/" + serial, init("bad label!", BSO, "d")),
        400,
        "CKR_ARGUMENTS_BAD",
        "label must be");
    refused(
        "short SO password",
        send("PUT", token + "/" + serial, init("usb", "short", "d")),
        400,
        "CKR_PIN_LEN_RANGE",
        "7 to 255");
    refused(
        "blank domain",
        send("PUT", token + "/" + serial, init("usb", BSO, " ")),
        400,
        "CKR_ARGUMENTS_BAD",
        "cloning domain");
    send("PUT", token + "/" + serial, init("usb", BSO, "backup-domain")).expect(200);
    refused(
        "initialized twice",
        send("PUT", token + "/" + serial, init("usb2", BSO, "backup-domain")),
        400,
        "CKR_FUNCTION_FAILED",
        "already initialized");
    send("POST", partition + "/backup", backupBody(serial, "tokenpar", "first")).expect(200);
    byte[] deviceState = Files.readAllBytes(usb.resolve("state.json"));

    String bk = partition + "/backup";
    refused(
        "backup to an unknown serial",
        send("POST", bk, backupBody("7654321")),
        404,
        "CKR_TOKEN_NOT_PRESENT",
        "no backup HSM with serial 7654321");
    refused(
        "wrong CO password",
        send("POST", bk, backupBody(serial, "coPassword", "wrong-password-9")),
        401,
        "CKR_PIN_INCORRECT",
        "partition CO password is wrong");
    refused(
        "wrong backup SO password",
        send("POST", bk, backupBody(serial, "backupSoPassword", "wrong-password-9")),
        401,
        "CKR_PIN_INCORRECT",
        "backup HSM SO password is wrong");
    refused(
        "wrong domain",
        send("POST", bk, backupBody(serial, "domain", "another-domain")),
        400,
        "CKR_FUNCTION_FAILED",
        "does not match the cloning domain");
    for (String bad : List.of("a b", ".hidden", "x".repeat(65), "a/b")) {
      refused(
          "label '" + bad + "'",
          send("POST", bk, backupBody(serial, "tokenpar", bad)),
          400,
          "CKR_ARGUMENTS_BAD",
          "backup partition label must be");
    }
    refused(
        "label exists",
        send("POST", bk, backupBody(serial, "tokenpar", "first")),
        400,
        "CKR_FUNCTION_FAILED",
        "-replace");
    refused(
        "short backup partition password",
        send("POST", bk, backupBody(serial, "backupPartitionPassword", "short")),
        400,
        "CKR_PIN_LEN_RANGE",
        "backup partition password");
    refused(
        "no CO password",
        send("POST", bk, backupBody(serial, "coPassword", null)),
        400,
        "CKR_ARGUMENTS_BAD",
        "'coPassword'");
    refused(
        "unknown partition",
        send(
            "POST",
            "/api/lunasa/hsms/" + AdminTestSupport.hsmId(ca) + "/partitions/other/backup",
            backupBody(serial)),
        404,
        "CKR_TOKEN_NOT_PRESENT",
        "no partition 'other'");
    refused(
        "unknown HSM",
        send(
            "POST", "/api/lunasa/hsms/999/partitions/" + PARTITION + "/backup", backupBody(serial)),
        404,
        null,
        "no HSM '999'");

    String rs = partition + "/restore";
    refused(
        "restore into a partition that encrypts a cluster",
        send("POST", rs, restoreBody(serial, "first", BPW)),
        400,
        "CKR_FUNCTION_FAILED",
        "already encrypts cluster");
    refused(
        "restore of an unknown backup",
        send("POST", rs, restoreBody(serial, "none", BPW)),
        404,
        "CKR_TOKEN_NOT_PRESENT",
        "no backup partition 'none'");
    refused(
        "restore with a wrong backup password",
        send("POST", rs, restoreBody(serial, "first", "wrong-password-9")),
        401,
        "CKR_PIN_INCORRECT",
        "password of backup partition 'first' is wrong");
    refused(
        "restore with a bad label",
        send("POST", rs, restoreBody(serial, "a b", BPW)),
        400,
        "CKR_ARGUMENTS_BAD",
        "backup partition label must be");
    refused(
        "restore with no label",
        send(
            "POST", rs, Map.of("serial", serial, "backupPartitionPassword", BPW, "coPassword", CO)),
        400,
        "CKR_ARGUMENTS_BAD",
        "'tokenpar'");

    assertTrue(problems.isEmpty(), String.join("\n", problems));
    assertArrayEquals(deviceState, Files.readAllBytes(usb.resolve("state.json")));
    assertEquals(smk, smk());
    assertFalse(Files.exists(dir.resolve("a/usb")));
    assertTrue(Files.exists(dir.resolve("junk/notes.txt")));

    // asked for explicitly, an existing backup is replaced
    assertTrue(
        send("POST", bk, backupBody(serial, "tokenpar", "first", "replace", true))
            .expect(200)
            .json()
            .path("replaced")
            .asBoolean());
  }

  @Test
  void aRestore_isRefusedAcrossCloningDomains_andOverAnotherRestoredSmk() throws Exception {
    String token = "/api/lunasa/token/backup";
    Path usb = dir.resolve("usb");
    String serial =
        send("POST", token, Map.of("path", usb.toString()))
            .expect(201)
            .json()
            .path("serial")
            .asText();
    send("PUT", token + "/" + serial, init("usb", BSO, "backup-domain")).expect(200);
    String first = smk();
    send("POST", partition + "/backup", backupBody(serial, "tokenpar", "first")).expect(200);
    // the same appliance, factory reset, makes a new cluster: its SMK is another one
    send("POST", "/api/lunasa/services/cluster/actions/stop", Map.of()).expect(200);
    send(
            "POST",
            "/api/lunasa/services/cluster/actions/factoryreset",
            Map.of("authentication", AdminTestSupport.auth("SO", AdminTestSupport.SO)))
        .expect(200);
    send("POST", "/api/lunasa/services/cluster/actions/start", Map.of()).expect(200);
    AdminTestSupport.provisionCluster(ca, "second-cluster");
    String second = smk();
    assertFalse(first.equals(second));
    send("POST", partition + "/backup", backupBody(serial, "tokenpar", "second")).expect(200);
    send("DELETE", token + "/" + serial, null).expect(204);

    try (Member other = AdminTestSupport.start(dir.resolve("other"))) {
      AdminRestClient co = new AdminRestClient(other.adminPort(), other.adminCertificate());
      dev.keyring.testing.admin.Provisioning.prepareHsm(co, "hsm2", "another-domain");
      co.send("POST", token, ADMIN, ADMIN_PW, Map.of("path", usb.toString())).expect(201);
      String otherPartition = SmkBackupApiTest.partitionPath(co);
      AdminRestClient.Reply r =
          co.send(
              "POST",
              otherPartition + "/restore",
              ADMIN,
              ADMIN_PW,
              restoreBody(serial, "first", BPW));
      refused("another cloning domain", r, 400, "CKR_FUNCTION_FAILED", "another cloning domain");
      Map<String, Object> body =
          backupBody(serial, "tokenpar", "none-yet", "domain", "another-domain");
      refused(
          "a partition with no SMK backs up nothing",
          co.send("POST", otherPartition + "/backup", ADMIN, ADMIN_PW, body),
          400,
          "CKR_FUNCTION_FAILED",
          "holds no SMK to back up");
      assertFalse(
          co.send("GET", otherPartition, ADMIN, ADMIN_PW, null)
              .json()
              .path("smkPresent")
              .asBoolean());
    }
    try (Member same = AdminTestSupport.start(dir.resolve("same"))) {
      AdminRestClient cs = new AdminRestClient(same.adminPort(), same.adminCertificate());
      AdminTestSupport.prepareHsm(cs);
      cs.send("POST", token, ADMIN, ADMIN_PW, Map.of("path", usb.toString())).expect(201);
      String p = SmkBackupApiTest.partitionPath(cs);
      cs.send("POST", p + "/restore", ADMIN, ADMIN_PW, restoreBody(serial, "first", BPW))
          .expect(200);
      // the same SMK again changes nothing and is no error
      cs.send("POST", p + "/restore", ADMIN, ADMIN_PW, restoreBody(serial, "first", BPW))
          .expect(200);
      AdminRestClient.Reply r =
          cs.send("POST", p + "/restore", ADMIN, ADMIN_PW, restoreBody(serial, "second", BPW));
      refused(
          "another SMK restored before",
          r,
          400,
          "CKR_FUNCTION_FAILED",
          "already holds the SMK " + first);
      assertEquals(
          first, cs.send("GET", p, ADMIN, ADMIN_PW, null).json().path("smkFingerprint").asText());
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  static Map<String, Object> init(String label, String password, String domain) {
    return Map.of("label", label, "password", password, "domain", domain);
  }

  static Map<String, Object> restoreBody(String serial, String tokenpar, String password) {
    return Map.of(
        "serial",
        serial,
        "tokenpar",
        tokenpar,
        "backupPartitionPassword",
        password,
        "coPassword",
        CO);
  }

  String smk() {
    return send("GET", partition, null).expect(200).json().path("smkFingerprint").asText();
  }
}
