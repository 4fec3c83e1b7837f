package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Role;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.store.KeyringRecord;
import dev.keyring.testing.admin.AdminRestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backup and restore through the admin REST API of a real member (Jetty, TLS on loopback): a round
 * trip with the guide's semantics, every refusal a 4xx with its code and the state digest
 * unchanged, and the admin user's file area.
 */
class BackupRestoreApiTest {
  static final String INITIAL = "keyring-initial-1";
  static final String PASSWORD = "keyring-password-2";
  static final String BACKUP_PW = "backup-password-1";

  @TempDir Path dir;
  Member member;
  AdminRestClient c;
  String cluster;

  @BeforeEach
  void setUp() throws Exception {
    member = AdminTestSupport.start(dir.resolve("m"));
    c = new AdminRestClient(member.adminPort(), member.adminCertificate());
    cluster = AdminTestSupport.provision(c);
  }

  @AfterEach
  void tearDown() {
    member.close();
  }

  KeyringRecord keyring(String label) {
    KeyringRecord k =
        member
            .appliance()
            .keyrings()
            .createKeyrings(AdminTestSupport.CO, label, INITIAL, 1, null, null)
            .get(0);
    try (KeyringSession so = member.appliance().keyrings().login(k.id(), Role.KRSO, INITIAL)) {
      so.changePassword(INITIAL, PASSWORD);
      so.initKrco(PASSWORD);
    }
    try (KeyringSession co = member.appliance().keyrings().login(k.id(), Role.KRCO, PASSWORD)) {
      co.generateKeyPair(
          KeyGenParams.ec(Curve.P256),
          Attributes.builder().label("pub").build(),
          Attributes.builder().label("priv").build());
      co.generateKey(KeyGenParams.aes(256), Attributes.builder().label("aes").build());
    }
    return member.appliance().keyrings().keyring(label);
  }

  AdminRestClient.Reply backup(Map<String, Object> body) {
    return call(c, "PUT", "/api/clusters/" + cluster + "/backup").json(body).send();
  }

  static AdminRestClient.Call call(AdminRestClient client, String method, String path) {
    return client.call(method, path).as(ADMIN, ADMIN_PW);
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  AdminRestClient.Reply restore(String file, String password) {
    return call(c, "PUT", "/api/cluster/restore")
        .json(map("filename", file, "password", password, "type", "keyring"))
        .send();
  }

  JsonNode awaitRestore() throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode s = call(c, "GET", "/api/cluster/restore").send().expect(200).json();
      if (!"running".equals(s.path("status").asText()) || System.nanoTime() > end) {
        return s;
      }
      Thread.sleep(50);
    }
  }

  String digest() {
    return call(c, "GET", "/api/clusters/" + cluster + "/state")
        .send()
        .expect(200)
        .json()
        .path("digest")
        .asText();
  }

  @Test
  void backupChangeRestore_overRest_bringsTheBackupBack_andLeavesTheRest() throws Exception {
    KeyringRecord a = keyring("alpha");
    KeyringRecord b = keyring("beta");
    String atBackup = digest();
    JsonNode done =
        backup(map("action", "run", "filename", "first.bak", "password", BACKUP_PW))
            .expect(200)
            .json();
    assertEquals(2, done.path("keyrings").asInt());
    assertEquals(6, done.path("objects").asInt());

    JsonNode files = call(c, "GET", "/users/admin/files").send().expect(200).json();
    assertEquals("first.bak", files.path("data").get(0).path("name").asText());
    Path file = dir.resolve("m/files/admin/first.bak");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    AdminRestClient.Reply download = call(c, "GET", "/users/admin/files/first.bak").send();
    assertEquals(200, download.status());

    member.appliance().keyrings().deleteKeyring(AdminTestSupport.CO, "alpha");
    keyring("gamma"); // not in the backup
    assertNotEquals(atBackup, digest());

    restore("first.bak", BACKUP_PW).expect(202);
    JsonNode s = awaitRestore();
    assertEquals("completed", s.path("status").asText(), s.toString());
    assertEquals(2, s.path("keyringsDone").asInt());
    assertEquals(2, s.path("keyringsTotal").asInt());
    assertEquals(a.id(), member.appliance().keyrings().keyring("alpha").id());
    assertTrue(member.appliance().keyrings().keyring("gamma") != null);
    try (KeyringSession co = member.appliance().keyrings().login(a.id(), Role.KRCO, PASSWORD)) {
      assertEquals(3, co.findObjects(Attributes.empty()).size());
    }
    assertEquals(b.id(), member.appliance().keyrings().keyring("beta").id());

    call(c, "DELETE", "/users/admin/files/first.bak").send().expect(204);
    assertEquals(0, call(c, "GET", "/users/admin/files").send().json().path("data").size());
  }

  @Test
  void everyRefusal_isA4xxWithItsCode_andChangesNothing() throws Exception {
    keyring("alpha");
    backup(map("action", "run", "filename", "good", "password", BACKUP_PW)).expect(200);
    String before = digest();

    List<Object[]> cases =
        List.of(
            new Object[] {
              map("action", "run", "filename", "x".repeat(65), "password", BACKUP_PW), "64"
            },
            new Object[] {map("action", "run", "filename", "a b", "password", BACKUP_PW), "64"},
            new Object[] {map("action", "run", "filename", "../etc", "password", BACKUP_PW), "64"},
            new Object[] {
              map("action", "run", "filename", ".hidden", "password", BACKUP_PW), "'.'"
            },
            new Object[] {map("action", "run", "filename", "ok", "password", "short"), "8 to 128"},
            new Object[] {map("action", "run", "filename", "ok"), "password"},
            new Object[] {
              map("action", "config", "filename", "s", "total", 0, "time", "1:01:00"), "1 to 15"
            },
            new Object[] {
              map("action", "config", "filename", "s", "total", 16, "time", "1:01:00"), "1 to 15"
            },
            new Object[] {
              map("action", "config", "filename", "s", "total", 3, "time", "7:09:30"), "d:hh:mm"
            },
            new Object[] {
              map("action", "config", "filename", "s", "total", 3, "time", "1:25:00"), "d:hh:mm"
            },
            new Object[] {map("action", "enable"), "password"},
            new Object[] {map("action", "explode"), "unknown action"},
            new Object[] {map("action", "show", "filename", "x"), "takes"});
    for (Object[] bad : cases) {
      AdminRestClient.Reply r = backup(castMap(bad[0]));
      assertTrue(r.status() >= 400 && r.status() < 500, bad[0] + " -> " + r.status());
      assertTrue(r.message().contains((String) bad[1]), bad[0] + ": " + r.message());
      assertTrue(r.errorCode() != null && r.errorCode().startsWith("CKR_"), r.body());
      assertFalse(r.body().contains(BACKUP_PW), "the password is never echoed");
    }
    AdminRestClient.Reply wrong = restore("good", "wrong-password-9");
    assertEquals(422, wrong.status(), wrong.body());
    assertEquals("CKR_ENCRYPTED_DATA_INVALID", wrong.errorCode());
    assertFalse(wrong.body().contains("wrong-password-9"));
    byte[] bytes = Files.readAllBytes(dir.resolve("m/files/admin/good"));
    for (int pos : new int[] {3, 40, 100, bytes.length / 2, bytes.length - 2}) {
      byte[] flipped = bytes.clone();
      flipped[pos] ^= 0x10;
      Files.write(dir.resolve("m/files/admin/flipped"), flipped);
      AdminRestClient.Reply r = restore("flipped", BACKUP_PW);
      assertEquals(422, r.status(), "byte " + pos + ": " + r.body());
      assertEquals("CKR_ENCRYPTED_DATA_INVALID", r.errorCode());
    }
    Files.write(dir.resolve("m/files/admin/cut"), java.util.Arrays.copyOf(bytes, bytes.length - 5));
    assertEquals("CKR_ENCRYPTED_DATA_INVALID", restore("cut", BACKUP_PW).errorCode());
    assertEquals(404, restore("missing", BACKUP_PW).status());
    assertEquals(
        400,
        call(c, "PUT", "/api/cluster/restore")
            .json(map("filename", "good", "password", BACKUP_PW, "type", "partition"))
            .send()
            .status());
    assertEquals(before, digest());
    assertEquals(
        "failed", call(c, "GET", "/api/cluster/restore").send().json().path("status").asText());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  @Test
  void aMemberNotAuthorized_refusesBackups_andAUserSeesOnlyTheirOwnFiles() throws Exception {
    try (Member other = AdminTestSupport.start(dir.resolve("other"))) {
      AdminRestClient o = new AdminRestClient(other.adminPort(), other.adminCertificate());
      AdminTestSupport.prepareHsm(o);
      String id = AdminTestSupport.createCluster(o, "unauthorized");
      AdminRestClient.Reply r =
          call(o, "PUT", "/api/clusters/" + id + "/backup")
              .json(map("action", "run", "filename", "b", "password", BACKUP_PW))
              .send();
      assertEquals(409, r.status(), r.body());
      assertTrue(r.message().contains("not authorized"), r.message());
      assertTrue(Files.notExists(dir.resolve("other/files/admin/b")));
    }
    call(c, "POST", "/users")
        .json(map("userId", "watcher", "role", "monitor", "password", "watcher-password-1"))
        .send()
        .expect(201);
    AdminRestClient.Reply theirs =
        call(c, "GET", "/users/admin/files").as("watcher", "watcher-password-1").send();
    assertEquals(403, theirs.status(), theirs.body());
    AdminRestClient.Reply own =
        call(c, "GET", "/users/watcher/files").as("watcher", "watcher-password-1").send();
    assertEquals(200, own.status(), own.body());
    AdminRestClient.Reply notAdmin =
        call(c, "PUT", "/api/clusters/" + cluster + "/backup")
            .as("watcher", "watcher-password-1")
            .json(map("action", "show"))
            .send();
    assertEquals(403, notAdmin.status());
  }
}
