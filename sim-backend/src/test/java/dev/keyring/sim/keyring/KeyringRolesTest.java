package dev.keyring.sim.keyring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.TestAppliances;
import dev.keyring.sim.boundary.KeyPairObjects;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.ReplicatedWriter;
import dev.keyring.store.StoreTransaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyringRolesTest {
  private static final String INITIAL = "initial-pw1";
  private static final String PW16 = "sixteen-chars-pw"; // 16 characters
  private static final String PW17 = "seventeen-chars-p"; // 17 characters
  private static final String WRONG = "wrong-password"; // 14 characters: counts

  @TempDir Path dir;
  private Appliance appliance;
  private KeyringService keyrings;

  @BeforeEach
  void setUp() {
    appliance = TestAppliances.withCluster(dir);
    keyrings = appliance.keyrings();
  }

  @AfterEach
  void tearDown() {
    appliance.close();
  }

  private static void assertCode(ResultCode code, Runnable r) {
    HsmException e = assertThrows(HsmException.class, r::run);
    assertEquals(code, e.code(), e.getMessage());
  }

  private KeyringRecord create(String label) {
    return keyrings.createKeyrings(TestAppliances.CO, label, INITIAL, 1, null, null).get(0);
  }

  /** Takes a new keyring to the point where the KRCO can log in with {@code password}. */
  private KeyringRecord ready(String label, String password) {
    KeyringRecord k = create(label);
    try (KeyringSession so = keyrings.login(k.id(), Role.KRSO, INITIAL)) {
      so.changePassword(INITIAL, password);
      so.initKrco(password);
    }
    return keyrings.keyring(label);
  }

  private void failLogins(UUID id, String attempt, int times) {
    for (int i = 0; i < times; i++) {
      HsmException e =
          assertThrows(HsmException.class, () -> keyrings.login(id, Role.KRCO, attempt));
      assertTrue(
          e.code() == ResultCode.CKR_PIN_INCORRECT || e.code() == ResultCode.CKR_PIN_LOCKED,
          e.getMessage());
    }
  }

  @Test
  void createKeyrings_total10_index100_labelsEnd100to109() {
    List<Integer> progress = new ArrayList<>();
    List<KeyringRecord> made =
        keyrings.createKeyrings(TestAppliances.CO, "app", INITIAL, 10, 100, progress::add);
    assertEquals(
        List.of(
            "app100", "app101", "app102", "app103", "app104", "app105", "app106", "app107",
            "app108", "app109"),
        made.stream().map(KeyringRecord::label).collect(Collectors.toList()));
    assertEquals(10, progress.size());
    assertEquals(10, keyrings.keyrings().size());
  }

  @Test
  void createKeyrings_refusesBadInput_andChangesNothing() {
    assertCode(
        ResultCode.CKR_ARGUMENTS_BAD,
        () -> keyrings.createKeyrings(TestAppliances.CO, "x", INITIAL, 101, null, null));
    assertCode(
        ResultCode.CKR_ARGUMENTS_BAD,
        () -> keyrings.createKeyrings(TestAppliances.CO, "x", INITIAL, 0, null, null));
    assertCode(
        ResultCode.CKR_ARGUMENTS_BAD,
        () -> keyrings.createKeyrings(TestAppliances.CO, "bad label", INITIAL, 1, null, null));
    assertCode(
        ResultCode.CKR_PIN_LEN_RANGE,
        () -> keyrings.createKeyrings(TestAppliances.CO, "x", "short", 1, null, null));
    assertCode(
        ResultCode.CKR_PIN_INCORRECT,
        () -> keyrings.createKeyrings("not-the-co", "x", INITIAL, 1, null, null));
    create("dup");
    assertCode(
        ResultCode.CKR_ARGUMENTS_BAD,
        () -> keyrings.createKeyrings(TestAppliances.CO, "dup", INITIAL, 1, null, null));
    assertEquals(1, keyrings.keyrings().size());
  }

  @Test
  void initialPassword_mustBeChanged_beforeCryptoUse() {
    KeyringRecord k = create("kr");
    assertCode(
        ResultCode.CKR_USER_PIN_NOT_INITIALIZED, () -> keyrings.login(k.id(), Role.KRCO, INITIAL));
    try (KeyringSession so = keyrings.login(k.id(), Role.KRSO, INITIAL)) {
      assertCode(ResultCode.CKR_PIN_EXPIRED, () -> so.random(16));
      assertCode(ResultCode.CKR_PIN_EXPIRED, () -> so.initKrco(INITIAL));
      assertCode(ResultCode.CKR_PIN_INVALID, () -> so.changePassword(INITIAL, INITIAL));
      so.changePassword(INITIAL, PW16);
      assertCode(ResultCode.CKR_PIN_INVALID, () -> so.initKrco("another-password"));
      so.initKrco(PW16);
      assertCode(ResultCode.CKR_USER_NOT_LOGGED_IN, () -> so.random(16));
    }
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      assertEquals(16, co.random(16).length);
    }
  }

  @Test
  void krco_signs_andTheJdkVerifies() throws Exception {
    KeyringRecord k = ready("signer", PW16);
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      KeyPairObjects kp =
          co.generateKeyPair(
              KeyGenParams.ec(Curve.P256),
              Attributes.builder().label("p256").build(),
              Attributes.builder().label("p256").build());
      byte[] data = "hello keyring".getBytes(StandardCharsets.UTF_8);
      byte[] sig =
          co.sign(kp.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(PublicKeyAttributes.toPublicKey(kp.publicKey().attributes()));
      v.update(data);
      assertTrue(v.verify(sig));
      assertEquals(2, co.findObjects(Attributes.builder().label("p256").build()).size());
    }
  }

  @Test
  void krsoAndKrco_shareOnePassword_changingOneChangesBoth() {
    KeyringRecord k = ready("shared", PW16);
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      co.changePassword(PW16, "brand-new-pw-9");
    }
    assertCode(ResultCode.CKR_PIN_INCORRECT, () -> keyrings.login(k.id(), Role.KRSO, PW16));
    keyrings.login(k.id(), Role.KRSO, "brand-new-pw-9").close();
    keyrings.login(k.id(), Role.KRCO, "brand-new-pw-9").close();
  }

  @Test
  void lockout_password16Chars_locksAfterExactly10FailedLogins() {
    KeyringRecord k = ready("short16", PW16);
    assertEquals(16, PW16.length());
    failLogins(k.id(), WRONG, 9);
    assertEquals(9, keyrings.keyring("short16").failedLogins());
    assertFalse(keyrings.keyring("short16").locked());
    assertCode(ResultCode.CKR_PIN_LOCKED, () -> keyrings.login(k.id(), Role.KRCO, WRONG));
    assertTrue(keyrings.keyring("short16").locked());
    assertCode(ResultCode.CKR_PIN_LOCKED, () -> keyrings.login(k.id(), Role.KRCO, PW16));
    assertCode(ResultCode.CKR_PIN_LOCKED, () -> keyrings.login(k.id(), Role.KRSO, PW16));
  }

  @Test
  void lockout_password17Chars_counterNeverMoves() {
    KeyringRecord k = ready("long17", PW17);
    assertEquals(17, PW17.length());
    failLogins(k.id(), WRONG, 25);
    assertEquals(0, keyrings.keyring("long17").failedLogins());
    assertFalse(keyrings.keyring("long17").locked());
    keyrings.login(k.id(), Role.KRCO, PW17).close();
  }

  @Test
  void lockout_attemptsOf6CharsOrLess_neverCount() {
    KeyringRecord k = ready("ignored", PW16);
    failLogins(k.id(), "abcdef", 15); // 6 characters
    failLogins(k.id(), "x", 5);
    failLogins(k.id(), "", 5);
    assertEquals(0, keyrings.keyring("ignored").failedLogins());
    failLogins(k.id(), "abcdefg", 1); // 7 characters: counts
    assertEquals(1, keyrings.keyring("ignored").failedLogins());
  }

  @Test
  void lockout_successfulLogin_resetsCounter() {
    KeyringRecord k = ready("reset", PW16);
    failLogins(k.id(), WRONG, 9);
    keyrings.login(k.id(), Role.KRCO, PW16).close();
    assertEquals(0, keyrings.keyring("reset").failedLogins());
    failLogins(k.id(), WRONG, 9);
    assertFalse(keyrings.keyring("reset").locked());
  }

  @Test
  void passwordChangedByAnotherSessionMeanwhile_isKept_andTheLaterChangeRefused() {
    KeyringRecord k = ready("raced", PW16);
    ReplicatedWriter local = ReplicatedWriter.local(appliance.store());
    java.util.concurrent.atomic.AtomicBoolean first =
        new java.util.concurrent.atomic.AtomicBoolean();
    appliance.replicateThrough(
        new ReplicatedWriter() {
          @Override
          public <T> T write(java.util.function.Function<StoreTransaction, T> work) {
            if (first.compareAndSet(false, true)) {
              // the other session's change lands between this one's check and its write
              try (KeyringSession other = keyrings.login(k.id(), Role.KRSO, PW16)) {
                other.changePassword(PW16, "changed-first-1");
              }
            }
            return local.write(work);
          }
        });
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      assertCode(ResultCode.CKR_PIN_INCORRECT, () -> co.changePassword(PW16, "changed-later-2"));
    }
    assertEquals(0, keyrings.keyring("raced").failedLogins(), "no failed login counted");
    keyrings.login(k.id(), Role.KRCO, "changed-first-1").close();
    assertCode(
        ResultCode.CKR_PIN_INCORRECT, () -> keyrings.login(k.id(), Role.KRCO, "changed-later-2"));
  }

  @Test
  void lockout_wrongOldPasswordOnChange_countsToo() {
    KeyringRecord k = ready("change", PW16);
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      assertCode(ResultCode.CKR_PIN_INCORRECT, () -> co.changePassword(WRONG, "another-pw-123"));
    }
    assertEquals(1, keyrings.keyring("change").failedLogins());
  }

  @Test
  void unlock_needsThePartitionCo_andResetsCounter() {
    KeyringRecord k = ready("locked", PW16);
    failLogins(k.id(), WRONG, 10);
    assertTrue(keyrings.keyring("locked").locked());
    assertCode(ResultCode.CKR_PIN_INCORRECT, () -> keyrings.unlock(PW16, "locked"));
    assertCode(ResultCode.CKR_PIN_INCORRECT, () -> keyrings.unlock("not-the-co-pw", "locked"));
    assertTrue(keyrings.keyring("locked").locked());
    keyrings.unlock(TestAppliances.CO, k.id().toString());
    assertFalse(keyrings.keyring("locked").locked());
    assertEquals(0, keyrings.keyring("locked").failedLogins());
    keyrings.login(k.id(), Role.KRCO, PW16).close();
  }

  @Test
  void lockout_underConcurrentWrongLogins_locksAtExactly10() throws Exception {
    KeyringRecord k = ready("race", PW16);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        fs.add(pool.submit(() -> failLogins(k.id(), WRONG, 4)));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    KeyringRecord after = keyrings.keyring("race");
    assertTrue(after.locked());
    assertEquals(10, after.failedLogins());
  }

  @Test
  void deleteKeyring_byLabelOrUuid_needsCo_andRemovesObjects() {
    KeyringRecord k = ready("gone", PW16);
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      co.generateKey(KeyGenParams.aes(256), Attributes.builder().label("aes").build());
    }
    assertCode(ResultCode.CKR_PIN_INCORRECT, () -> keyrings.deleteKeyring("nope-nope", "gone"));
    keyrings.deleteKeyring(TestAppliances.CO, "gone");
    assertCode(ResultCode.CKR_SLOT_ID_INVALID, () -> keyrings.keyring("gone"));
    assertEquals(0, appliance.store().objectCount(k.id()));
    assertCode(
        ResultCode.CKR_SLOT_ID_INVALID, () -> keyrings.deleteKeyring(TestAppliances.CO, "gone"));
  }

  @Test
  void lastLogout_dropsTheKeyringsCachedKeys() {
    KeyringRecord k = ready("cache", PW16);
    long handle;
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      handle =
          co.generateKey(KeyGenParams.aes(128), Attributes.builder().label("a").build()).handle();
      co.encrypt(handle, Mechanism.CKM_AES_GCM, MechanismParams.NONE, new byte[8]);
    }
    long missesBefore = appliance.boundary().cacheStats().misses();
    try (KeyringSession co = keyrings.login(k.id(), Role.KRCO, PW16)) {
      byte[] ct = co.encrypt(handle, Mechanism.CKM_AES_GCM, MechanismParams.NONE, new byte[8]);
      assertArrayEquals(
          new byte[8], co.decrypt(handle, Mechanism.CKM_AES_GCM, MechanismParams.NONE, ct));
    }
    assertEquals(missesBefore + 1, appliance.boundary().cacheStats().misses());
  }

  @Test
  void state_survivesRestart() {
    KeyringRecord k = ready("durable", PW16);
    failLogins(k.id(), WRONG, 3);
    appliance.close();
    appliance = TestAppliances.fresh(dir);
    keyrings = appliance.keyrings();
    assertEquals(3, keyrings.keyring("durable").failedLogins());
    keyrings.login(k.id(), Role.KRCO, PW16).close();
  }
}
