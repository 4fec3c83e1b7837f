package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Appliance users exported by a cluster member (A) and installed on a joining one (B). */
class ApplianceUsersTransferTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private KeyringStore storeA;
  private KeyringStore storeB;
  private ApplianceUsers a;
  private ApplianceUsers b;

  @BeforeEach
  void open() {
    storeA = KeyringStore.open(StoreConfig.h2File(dir.resolve("a/store")));
    storeB = KeyringStore.open(StoreConfig.h2File(dir.resolve("b/store")));
    // A's verifiers cost more than B's own: each verifier carries its cost
    a =
        ApplianceUsers.open(
            storeA, new PasswordHasher(2_000), dir.resolve("a"), "admin-of-a-1", Ticker.SYSTEM);
    b =
        ApplianceUsers.open(
            storeB,
            new PasswordHasher(PasswordHasher.MIN_ITERATIONS),
            dir.resolve("b"),
            "admin-of-b-1",
            Ticker.SYSTEM);
    a.add("alice", ApplianceRole.OPERATOR, "alice-password-1");
    a.setPassword("monitor", "monitor-password-1");
    b.add("bob", ApplianceRole.ADMIN, "bob-password-1");
  }

  @AfterEach
  void close() {
    storeA.close();
    storeB.close();
  }

  @Test
  void exportedUsers_logInOnTheJoiningMember_withTheirPasswords() {
    byte[] exported = a.exportUsers();
    b.replaceUsers(exported);

    assertEquals(ApplianceRole.ADMIN, b.authenticate("admin", "admin-of-a-1").role());
    assertEquals(ApplianceRole.OPERATOR, b.authenticate("alice", "alice-password-1").role());
    assertEquals(ApplianceRole.MONITOR, b.authenticate("monitor", "monitor-password-1").role());
    assertEquals(a.list(), b.list());
    // B's own users and passwords are gone
    assertEquals(
        401, assertThrows(ApiError.class, () -> b.authenticate("admin", "admin-of-b-1")).status);
    assertEquals(
        401, assertThrows(ApiError.class, () -> b.authenticate("bob", "bob-password-1")).status);
    assertEquals(null, b.currentRole("bob"), "a session of a removed user has no role any more");
    // and the replacement is stored: B opened again finds A's users
    ApplianceUsers reopened =
        ApplianceUsers.open(
            storeB, new PasswordHasher(PasswordHasher.MIN_ITERATIONS), dir.resolve("b"), null);
    assertEquals(ApplianceRole.OPERATOR, reopened.authenticate("alice", "alice-password-1").role());
    assertArrayEquals(exported, reopened.exportUsers());
  }

  @Test
  void export_holdsVerifiersOnly_neverPasswords() throws Exception {
    String exported = new String(a.exportUsers(), StandardCharsets.UTF_8);
    for (String pw : List.of("admin-of-a-1", "alice-password-1", "monitor-password-1")) {
      assertFalse(exported.contains(pw));
    }
    var tree = JSON.readTree(exported);
    assertEquals(ApplianceUsers.EXPORT_FORMAT, tree.get("format").asText());
    assertEquals(1, tree.get("version").asInt());
    assertEquals("admin", tree.at("/users/admin/role").asText());
    assertTrue(tree.at("/users/admin/verifier").asText().startsWith("pbkdf2-sha256$2000$"));
    assertTrue(tree.at("/users/operator/verifier").isNull(), "a disabled user stays disabled");
    assertEquals("operator", tree.at("/users/alice/role").asText());
  }

  /** A's export with one change. */
  private byte[] exportWith(Consumer<ObjectNode> change) throws Exception {
    ObjectNode tree = (ObjectNode) JSON.readTree(a.exportUsers());
    change.accept(tree);
    return JSON.writeValueAsBytes(tree);
  }

  private static ObjectNode user(ObjectNode tree, String name) {
    return (ObjectNode) tree.get("users").get(name);
  }

  @Test
  void garbage_isRefusedWithArgumentsBad_andNothingChanges() throws Exception {
    String goodVerifier = JSON.readTree(a.exportUsers()).at("/users/alice/verifier").asText();
    List<byte[]> garbage = new ArrayList<>();
    garbage.add(null);
    garbage.add(new byte[0]);
    garbage.add("not json".getBytes(StandardCharsets.UTF_8));
    garbage.add("[]".getBytes(StandardCharsets.UTF_8));
    garbage.add("null".getBytes(StandardCharsets.UTF_8));
    garbage.add(new byte[(1 << 20) + 1]);
    garbage.add(exportWith(t -> t.put("format", "something else")));
    garbage.add(exportWith(t -> t.put("version", 2)));
    garbage.add(exportWith(t -> t.remove("users")));
    garbage.add(exportWith(t -> t.put("extra", true)));
    garbage.add(exportWith(t -> ((ObjectNode) t.get("users")).remove("admin")));
    garbage.add(exportWith(t -> ((ObjectNode) t.get("users")).remove("monitor")));
    garbage.add(exportWith(t -> user(t, "admin").putNull("verifier")));
    garbage.add(exportWith(t -> user(t, "admin").put("role", "operator")));
    garbage.add(exportWith(t -> user(t, "alice").put("role", "root")));
    garbage.add(exportWith(t -> user(t, "alice").put("builtIn", true)));
    garbage.add(exportWith(t -> user(t, "alice").putNull("verifier")));
    garbage.add(exportWith(t -> user(t, "alice").put("verifier", "plaintext-password")));
    garbage.add(
        exportWith(t -> user(t, "alice").put("verifier", goodVerifier.replace("$2000$", "$1$"))));
    garbage.add(
        exportWith(
            t -> user(t, "alice").put("verifier", goodVerifier.replace("$2000$", "$99999999$"))));
    garbage.add(exportWith(t -> user(t, "alice").put("verifier", goodVerifier + "AAAA")));
    garbage.add(exportWith(t -> user(t, "alice").put("unknown", 1)));
    garbage.add(exportWith(t -> ((ObjectNode) t.get("users")).putNull("carol")));
    garbage.add(exportWith(t -> ((ObjectNode) t.get("users")).set("Not A Name", user(t, "alice"))));
    garbage.add(
        exportWith(
            t -> {
              ObjectNode users = (ObjectNode) t.get("users");
              for (int i = 0; i < ApplianceUsers.MAX_USERS; i++) {
                users.set("user" + i, user(t, "alice").deepCopy());
              }
            }));
    byte[] valid = a.exportUsers();
    byte[] trailing = new byte[valid.length + 3];
    System.arraycopy(valid, 0, trailing, 0, valid.length);
    System.arraycopy("{}x".getBytes(StandardCharsets.UTF_8), 0, trailing, valid.length, 3);
    garbage.add(trailing);

    byte[] before = storeB.hsmState(ApplianceUsers.STATE_KEY).orElseThrow();
    for (byte[] g : garbage) {
      HsmException e = assertThrows(HsmException.class, () -> b.replaceUsers(g));
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code(), e.getMessage());
      assertTrue(
          e.getMessage().contains("the exported appliance users are not valid"), e.getMessage());
      assertFalse(e.getMessage().contains(goodVerifier), "no verifier in the message");
    }
    assertArrayEquals(before, storeB.hsmState(ApplianceUsers.STATE_KEY).orElseThrow());
    assertEquals(ApplianceRole.ADMIN, b.authenticate("admin", "admin-of-b-1").role());
    assertEquals(ApplianceRole.ADMIN, b.authenticate("bob", "bob-password-1").role());
    // the unchanged export is accepted
    b.replaceUsers(valid);
    assertEquals(ApplianceRole.OPERATOR, b.authenticate("alice", "alice-password-1").role());
  }
}
