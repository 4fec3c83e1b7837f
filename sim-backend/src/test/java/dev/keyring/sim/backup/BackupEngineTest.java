package dev.keyring.sim.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.BoundaryConfig;
import dev.keyring.sim.boundary.SmkAccess;
import dev.keyring.sim.boundary.TestKeyring;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup file and the restore engine over a real H2 store and boundary: the seed's restore
 * semantics, refusals that change nothing, interruption per keyring, another cluster with the same
 * SMK.
 */
class BackupEngineTest {
  static final String PASSWORD = "backup-password-1";
  static final String USER = "admin";

  @TempDir Path dir;
  TestKeyring tk;
  BackupFiles files;
  final BackupProgress progress = new BackupProgress();
  final List<UUID> keyrings = new ArrayList<>();

  @BeforeEach
  void setUp() {
    tk = new TestKeyring(dir.resolve("a"));
    files = new BackupFiles(dir.resolve("files"));
    keyrings.add(tk.keyringId);
    for (int i = 0; i < 3; i++) {
      keyrings.add(addKeyring(tk, "ring-" + i));
    }
    for (UUID k : keyrings) {
      tk.boundary.generateKey(k, KeyGenParams.aes(256), Attributes.builder().label("aes").build());
      tk.boundary.generateKeyPair(
          k,
          KeyGenParams.ec(Curve.P256),
          Attributes.builder().label("pub").build(),
          Attributes.builder().label("priv").build());
    }
  }

  @AfterEach
  void tearDown() {
    tk.close();
  }

  static UUID addKeyring(TestKeyring t, String label) {
    KeyringRecord kr =
        new KeyringRecord(
            UUID.randomUUID(),
            t.clusterId,
            label,
            "verifier-" + label,
            false,
            true,
            false,
            0,
            Instant.now());
    t.store.write(tx -> tx.createKeyrings(t.clusterId, List.of(kr)));
    return kr.id();
  }

  ClusterBackup backup(BackupHooks hooks) {
    return new ClusterBackup(tk.store, files, new SecureRandom(), hooks, System::currentTimeMillis);
  }

  ClusterBackup.Result backupTo(String name) {
    return backup(BackupHooks.NONE)
        .run(
            USER,
            name,
            tk.boundary.smkFingerprint(),
            (s, n, r, p) -> tk.boundary.backupCipher(PASSWORD, s, n, r, p),
            progress);
  }

  ClusterRestore.Result restore(TestKeyring target, String name, String password, BackupHooks h) {
    return new ClusterRestore(target.store, target.boundary, h)
        .run(
            files.path(USER, name),
            (s, n, r, p) -> target.boundary.backupCipher(password, s, n, r, p),
            target.clusterId,
            target.boundary.smkFingerprint(),
            work ->
                target.store.write(
                    tx -> {
                      work.accept(tx);
                      return null;
                    }),
            new BackupProgress());
  }

  /**
   * A digest of these keyrings' configuration and of the objects of them that are in {@code only}
   * (by object id), or all their objects when {@code only} is null: what a restore must bring back.
   */
  static String digest(KeyringStore store, List<UUID> ids, List<UUID> only) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (UUID id : ids) {
      KeyringRecord k = store.keyring(id).orElse(null);
      if (k == null) {
        md.update(("missing " + id).getBytes(StandardCharsets.UTF_8));
        continue;
      }
      md.update(
          (k.id()
                  + k.label()
                  + k.credentialVerifier()
                  + k.passwordChangeRequired()
                  + k.krcoInitialized()
                  + k.locked()
                  + k.failedLogins())
              .getBytes(StandardCharsets.UTF_8));
      for (ObjectRecord o : store.findObjects(id, Attributes.empty())) {
        if (only != null && !only.contains(o.objectId())) {
          continue;
        }
        md.update(
            (o.handle() + " " + o.objectId() + o.objectClass()).getBytes(StandardCharsets.UTF_8));
        md.update(o.attributes().canonicalEncoding());
        md.update(o.blob() == null ? new byte[0] : o.blob());
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  List<UUID> objectIds() {
    List<UUID> out = new ArrayList<>();
    for (UUID k : keyrings) {
      tk.store.findObjects(k, Attributes.empty()).forEach(o -> out.add(o.objectId()));
    }
    return out;
  }

  @Test
  void restore_bringsBackEveryKeyringAndObjectOfTheBackup_andLeavesTheRestUntouched()
      throws Exception {
    ClusterBackup.Result written = backupTo("full");
    assertEquals(4, written.keyrings());
    assertEquals(tk.store.snapshot().objects().size(), written.objects());
    List<UUID> backedUp = objectIds();
    String atBackup = digest(tk.store, keyrings, backedUp);

    // change things: delete a keyring, add objects, change a verifier (password), lock one,
    // add a keyring that is not in the backup
    UUID deleted = keyrings.get(1);
    tk.store.write(tx -> tx.deleteKeyring(deleted));
    ObjectRecord added =
        tk.boundary.generateKey(
            keyrings.get(2), KeyGenParams.aes(128), Attributes.builder().label("new").build());
    KeyringRecord k3 = tk.store.keyring(keyrings.get(3)).orElseThrow();
    tk.store.write(
        tx -> {
          tx.updateKeyring(k3.withCredential("another-verifier", false).withLock(true, 10));
          return null;
        });
    UUID extra = addKeyring(tk, "not-in-backup");
    tk.boundary.generateKey(extra, KeyGenParams.aes(256), Attributes.builder().label("x").build());
    String extraBefore = digest(tk.store, List.of(extra), null);
    assertNotEquals(atBackup, digest(tk.store, keyrings, backedUp));

    ClusterRestore.Result r = restore(tk, "full", PASSWORD, BackupHooks.NONE);

    assertEquals(4, r.keyrings());
    assertEquals(1, r.keyringsCreated());
    assertEquals(atBackup, digest(tk.store, keyrings, backedUp));
    assertEquals(extraBefore, digest(tk.store, List.of(extra), null));
    assertTrue(tk.store.object(keyrings.get(2), added.handle()).isPresent(), "object kept");
    assertFalse(tk.store.keyring(keyrings.get(3)).orElseThrow().locked());
    // a restored key works: the blob is the one sealed for this cluster
    ObjectRecord aes =
        tk.store.findObjects(deleted, Attributes.builder().label("aes").build()).get(0);
    byte[] ct =
        tk.boundary.encrypt(
            deleted,
            aes.handle(),
            Mechanism.CKM_AES_GCM,
            MechanismParams.Gcm.generatedIv(new byte[0]),
            new byte[5]);
    assertEquals(12 + 5 + 16, ct.length);

    // run again: nothing changes
    String after = tk.store.stateDigest();
    restore(tk, "full", PASSWORD, BackupHooks.NONE);
    assertEquals(after, tk.store.stateDigest());
  }

  @Test
  void wrongPassword_alteredBits_andCutFiles_areRefused_andChangeNothing() throws Exception {
    backupTo("good");
    tk.store.write(tx -> tx.deleteKeyring(keyrings.get(1)));
    String before = tk.store.stateDigest();
    Path good = files.path(USER, "good");
    byte[] bytes = Files.readAllBytes(good);

    HsmException e =
        assertThrows(
            HsmException.class, () -> restore(tk, "good", "wrong-password-1", BackupHooks.NONE));
    assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, e.code());

    int headerEnd = BackupHeader.FIXED_LENGTH + "test-cluster".length();
    int[] positions = {
      0, 9, 15, 31, 45, 70, 80, headerEnd, headerEnd + 40, bytes.length / 2, bytes.length - 1
    };
    for (int pos : positions) {
      for (int bit : new int[] {0, 7}) {
        byte[] flipped = bytes.clone();
        flipped[pos] ^= (byte) (1 << bit);
        Files.write(files.path(USER, "flipped"), flipped);
        HsmException f =
            assertThrows(
                HsmException.class,
                () -> restore(tk, "flipped", PASSWORD, BackupHooks.NONE),
                "bit " + bit + " of byte " + pos);
        assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, f.code(), f.getMessage());
        assertEquals(before, tk.store.stateDigest());
      }
    }
    for (int cut : new int[] {1, 16, 17, bytes.length - headerEnd, bytes.length - 40}) {
      byte[] shorter = java.util.Arrays.copyOf(bytes, bytes.length - cut);
      Files.write(files.path(USER, "short"), shorter);
      HsmException f =
          assertThrows(HsmException.class, () -> restore(tk, "short", PASSWORD, BackupHooks.NONE));
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, f.code(), "cut " + cut);
      assertEquals(before, tk.store.stateDigest());
    }
    byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
    Files.write(files.path(USER, "longer"), longer);
    assertThrows(HsmException.class, () -> restore(tk, "longer", PASSWORD, BackupHooks.NONE));
    assertEquals(before, tk.store.stateDigest());
  }

  @Test
  void aBackupOfAnotherSmk_isRefusedBeforeAnythingIsWritten() throws Exception {
    backupTo("mine");
    try (TestKeyring other = new TestKeyring(dir.resolve("other"))) {
      String before = other.store.stateDigest();
      HsmException e =
          assertThrows(
              HsmException.class, () -> restore(other, "mine", PASSWORD, BackupHooks.NONE));
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, e.code());
      assertTrue(e.getMessage().contains(tk.boundary.smkFingerprint()), e.getMessage());
      assertEquals(before, other.store.stateDigest());
    }
  }

  @Test
  void anotherClusterWithTheSameSmk_restoresKeysThatWork() throws Exception {
    backupTo("moving");
    List<UUID> backedUp = objectIds();
    BoundaryConfig sameHsm =
        BoundaryConfig.builder().deviceKeyFile(dir.resolve("a/hsm/device.key")).build();
    try (TestKeyring other =
        new TestKeyring(KeyringStore.open(StoreConfig.h2File(dir.resolve("b/store"))), sameHsm)) {
      other.boundary.loadSmk(SmkAccess.protectedSmk(tk));
      assertEquals(tk.boundary.smkFingerprint(), other.boundary.smkFingerprint());
      ClusterRestore.Result r = restore(other, "moving", PASSWORD, BackupHooks.NONE);
      assertEquals(4, r.keyrings());
      for (UUID k : keyrings) {
        KeyringRecord restored = other.store.keyring(k).orElseThrow();
        assertEquals(other.clusterId, restored.clusterId());
        ObjectRecord priv =
            other.store.findObjects(k, Attributes.builder().label("priv").build()).get(0);
        byte[] sig =
            other.boundary.sign(
                k, priv.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, new byte[3]);
        assertTrue(sig.length > 0);
      }
      int restoredObjects = 0;
      for (UUID k : keyrings) {
        restoredObjects += other.store.objectCount(k);
      }
      assertEquals(backedUp.size(), restoredObjects);
    }
  }

  @Test
  void aBackupInterrupted_leavesNoFileUnderItsName_andTheOldOneWhole() throws Exception {
    backupTo("nightly");
    byte[] old = Files.readAllBytes(files.path(USER, "nightly"));
    BackupHooks crash =
        new BackupHooks() {
          @Override
          public void backupWrote(int count) {
            if (count == 2) {
              throw new IllegalStateException("interrupted");
            }
          }
        };
    assertThrows(
        IllegalStateException.class,
        () ->
            backup(crash)
                .run(
                    USER,
                    "nightly",
                    tk.boundary.smkFingerprint(),
                    (s, n, r, p) -> tk.boundary.backupCipher(PASSWORD, s, n, r, p),
                    progress));
    assertArrayEquals(old, Files.readAllBytes(files.path(USER, "nightly")));
    assertThrows(
        IllegalStateException.class,
        () ->
            backup(crash)
                .run(
                    USER,
                    "fresh",
                    tk.boundary.smkFingerprint(),
                    (s, n, r, p) -> tk.boundary.backupCipher(PASSWORD, s, n, r, p),
                    progress));
    assertFalse(Files.exists(files.path(USER, "fresh")));
    assertEquals(
        List.of("nightly"), files.list(USER).stream().map(BackupFiles.FileInfo::name).toList());
  }

  @Test
  void aRestoreInterruptedInsideAKeyring_leavesThatKeyringUntouched_andRunsAgainToCompletion()
      throws Exception {
    backupTo("all");
    List<UUID> backedUp = objectIds();
    String atBackup = digest(tk.store, keyrings, backedUp);
    // the backup is in label order: "ring-0", "ring-1", "ring-2", "test-..."
    for (UUID k : keyrings) {
      tk.store.write(tx -> tx.deleteKeyring(k));
    }
    BackupHooks crash =
        new BackupHooks() {
          @Override
          public void restoreWriting(int count) {
            if (count == 2) {
              throw new IllegalStateException("interrupted");
            }
          }
        };
    assertThrows(IllegalStateException.class, () -> restore(tk, "all", PASSWORD, crash));
    assertTrue(tk.store.keyring(keyrings.get(1)).isPresent(), "ring-0 is wholly restored");
    assertEquals(3, tk.store.objectCount(keyrings.get(1)));
    assertTrue(tk.store.keyring(keyrings.get(2)).isEmpty(), "ring-1 is not restored at all");
    assertEquals(0, tk.store.objectCount(keyrings.get(2)));

    restore(tk, "all", PASSWORD, BackupHooks.NONE);
    assertEquals(atBackup, digest(tk.store, keyrings, backedUp));
  }
}
