package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.Signature;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SKS blob opens only unaltered, in its own row (object, keyring, cluster), beside the
 * attributes it was sealed with, under the SMK it was sealed with. Every way of tampering with the
 * stored row is refused with CKR_ENCRYPTED_DATA_INVALID, and the object works again once the row is
 * restored.
 */
class SksBlobTamperTest {
  private static final byte[] DATA = "data to sign or encrypt".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private TestKeyring kr;

  @BeforeEach
  void setUp() {
    kr = new TestKeyring(dir);
  }

  @AfterEach
  void tearDown() {
    if (kr != null) {
      kr.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  private ObjectRecord generateP256(Attributes privateTemplate) {
    return kr.boundary
        .generateKeyPair(
            kr.keyringId, KeyGenParams.ec(Curve.P256), Attributes.empty(), privateTemplate)
        .privateKey();
  }

  private ObjectRecord importAes(String label) {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    return kr.importSecretKey(KeyType.AES, raw, Attributes.builder().label(label).build());
  }

  private Executable sign(ObjectRecord key) {
    return () ->
        kr.boundary.sign(
            key.keyringId(), key.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
  }

  private Executable encrypt(ObjectRecord key) {
    return () ->
        kr.boundary.encrypt(
            key.keyringId(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
  }

  /** Writes the row as given (attributes and blob) and drops the boundary's cached copy. */
  private void writeRow(ObjectRecord rec, Attributes attributes, byte[] blob) {
    kr.store.write(
        tx -> {
          tx.updateObject(rec.withAttributesAndBlob(attributes, blob));
          return null;
        });
    kr.boundary.evictObject(rec.keyringId(), rec.handle());
  }

  private void writeBlob(ObjectRecord rec, byte[] blob) {
    writeRow(rec, rec.attributes(), blob);
  }

  private void restore(ObjectRecord rec) {
    writeRow(rec, rec.attributes(), rec.blob());
  }

  private ObjectRecord stored(ObjectRecord rec) {
    return kr.store.object(rec.keyringId(), rec.handle()).orElseThrow();
  }

  private static HsmException assertRefused(ResultCode code, Executable op) {
    HsmException e = assertThrows(HsmException.class, op);
    assertEquals(code, e.code(), () -> "wrong result code: " + e.getMessage());
    return e;
  }

  private static HsmException assertBlobInvalid(Executable op) {
    HsmException e = assertRefused(ResultCode.CKR_ENCRYPTED_DATA_INVALID, op);
    assertTrue(
        e.detail().contains("SKS blob"), () -> "message should name the blob: " + e.detail());
    return e;
  }

  private static void assertWorks(Executable op) {
    try {
      op.execute();
    } catch (Throwable t) {
      throw new AssertionError("the operation should work: " + t, t);
    }
  }

  /**
   * Flips bits in every byte of the stored blob (all 8 bits of each header byte and of each tag
   * byte, one bit, rotating through the positions, of each ciphertext byte) and checks that each
   * altered blob is refused; then restores the row and checks the key works again.
   */
  private void assertEveryByteIsAuthenticated(ObjectRecord rec, Executable op) {
    byte[] original = rec.blob();
    int tagStart = original.length - SksBlob.TAG_LENGTH;
    int altered = 0;
    for (int i = 0; i < original.length; i++) {
      boolean allBits = i < SksBlob.HEADER_LENGTH || i >= tagStart;
      for (int bit = 0; bit < 8; bit++) {
        if (!allBits && bit != i % 8) {
          continue;
        }
        byte[] blob = original.clone();
        blob[i] ^= (byte) (1 << bit);
        writeBlob(rec, blob);
        int at = i;
        int b = bit;
        HsmException e = assertThrows(HsmException.class, op, () -> "byte " + at + " bit " + b);
        assertEquals(
            ResultCode.CKR_ENCRYPTED_DATA_INVALID,
            e.code(),
            () -> "byte " + at + " bit " + b + ": " + e.getMessage());
        altered++;
      }
      if (i % 64 == 63) {
        // now and then, check the restored row works (the refusals are not a stuck state)
        restore(rec);
        assertWorks(op);
      }
    }
    assertTrue(altered >= original.length, "every byte was altered at least once");
    restore(rec);
    assertWorks(op);
    assertArrayEquals(original, stored(rec).blob());
  }

  // ---------------------------------------------------------------- bit flips

  @Test
  void privateKeyBlob_withAnyBitFlippedInAnyByte_isRejected_andWorksOnceRestored() {
    ObjectRecord p256 = generateP256(Attributes.builder().label("p256").build());
    assertWorks(sign(p256));
    assertTrue(
        p256.blob().length > SksBlob.HEADER_LENGTH + SksBlob.TAG_LENGTH + 32,
        "a P-256 PKCS#8 blob holds more than the scalar");
    assertEveryByteIsAuthenticated(p256, sign(p256));
  }

  @Test
  void secretKeyBlob_withAnyBitFlippedInAnyByte_isRejected_andWorksOnceRestored() {
    ObjectRecord aes = importAes("aes");
    assertWorks(encrypt(aes));
    assertEquals(SksBlob.HEADER_LENGTH + 32 + SksBlob.TAG_LENGTH, aes.blob().length);
    assertEveryByteIsAuthenticated(aes, encrypt(aes));
  }

  // ---------------------------------------------------------------- blobs moved

  @Test
  void blob_swappedBetweenTwoObjectsOfTheSameKeyring_isRejected() {
    Attributes same = Attributes.builder().label("twin").build();
    ObjectRecord a = kr.boundary.generateKey(kr.keyringId, KeyGenParams.aes(256), same);
    ObjectRecord b = kr.boundary.generateKey(kr.keyringId, KeyGenParams.aes(256), same);
    assertEquals(a.attributes(), b.attributes(), "only the object identity differs");

    writeBlob(b, a.blob());
    assertBlobInvalid(encrypt(b));
    writeBlob(a, b.blob());
    assertBlobInvalid(encrypt(a));

    restore(a);
    restore(b);
    assertWorks(encrypt(a));
    assertWorks(encrypt(b));

    // private keys too: two P-256 keys with the same template
    ObjectRecord p = generateP256(Attributes.builder().label("twin-ec").build());
    ObjectRecord q = generateP256(Attributes.builder().label("twin-ec").build());
    writeRow(q, q.attributes(), p.blob());
    assertBlobInvalid(sign(q));
    // even with the other object's attributes (CKA_ID, public point) copied along
    writeRow(q, p.attributes(), p.blob());
    assertBlobInvalid(sign(q));
    restore(q);
    assertWorks(sign(q));
  }

  @Test
  void blob_copiedIntoAnObjectOfAnotherKeyring_isRejected() {
    KeyringRecord second =
        new KeyringRecord(
            UUID.randomUUID(),
            kr.clusterId,
            "second-" + UUID.randomUUID(),
            "unused-verifier",
            false,
            true,
            false,
            0,
            Instant.now());
    kr.store.write(tx -> tx.createKeyrings(kr.clusterId, List.of(second)));
    Attributes same = Attributes.builder().label("same").build();
    ObjectRecord a = kr.boundary.generateKey(kr.keyringId, KeyGenParams.aes(256), same);
    ObjectRecord b = kr.boundary.generateKey(second.id(), KeyGenParams.aes(256), same);
    assertEquals(a.attributes(), b.attributes());
    assertWorks(encrypt(b));

    writeBlob(b, a.blob());
    assertBlobInvalid(encrypt(b));
    writeBlob(a, b.blob());
    assertBlobInvalid(encrypt(a));

    restore(a);
    restore(b);
    assertWorks(encrypt(a));
    assertWorks(encrypt(b));
  }

  // ---------------------------------------------------------------- attributes altered

  @Test
  void signFlag_flippedFromFalseToTrueInTheRow_isRejectedAsTampering() {
    ObjectRecord key =
        generateP256(
            Attributes.builder().label("no-sign").flag(AttributeType.CKA_SIGN, false).build());
    // as created, the key is simply not permitted to sign
    assertRefused(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, sign(key));

    Attributes elevated = key.attributes().with(AttributeType.CKA_SIGN, true);
    writeRow(key, elevated, key.blob());
    assertTrue(stored(key).attributes().flag(AttributeType.CKA_SIGN, false));
    assertBlobInvalid(sign(key));

    restore(key);
    assertRefused(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, sign(key));
  }

  @Test
  void decryptFlag_flippedFromFalseToTrueInTheRow_isRejectedAsTampering() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    ObjectRecord key =
        kr.importSecretKey(
            KeyType.AES,
            raw,
            Attributes.builder()
                .label("no-decrypt")
                .flag(AttributeType.CKA_DECRYPT, false)
                .build());
    assertRefused(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, encrypt(key));
    writeRow(key, key.attributes().with(AttributeType.CKA_DECRYPT, true), key.blob());
    assertBlobInvalid(encrypt(key));
    restore(key);
    assertRefused(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, encrypt(key));
  }

  @Test
  void label_changedDirectlyInTheDatabase_isRejectedAsTampering() throws Exception {
    ObjectRecord key = importAes("tamper-me");
    assertWorks(encrypt(key));

    String url = kr.store.config().jdbcUrl();
    try (Connection c =
            DriverManager.getConnection(
                url, kr.store.config().username(), kr.store.config().password());
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE objects SET attributes = REPLACE(attributes, 'tamper-me', 'tampered!')"
                    + " WHERE keyring_id = ? AND handle = ?")) {
      ps.setObject(1, key.keyringId());
      ps.setLong(2, key.handle());
      assertEquals(1, ps.executeUpdate());
    }
    kr.boundary.evictObject(key.keyringId(), key.handle());
    assertEquals("tampered!", stored(key).attributes().label().orElseThrow());
    assertBlobInvalid(encrypt(key));

    restore(key);
    assertWorks(encrypt(key));
  }

  @Test
  void anyOtherAttributeChangeInTheRow_isRejectedAsTampering() {
    ObjectRecord key = generateP256(Attributes.builder().label("ec").build());
    Attributes a = key.attributes();
    List<Attributes> tampered =
        List.of(
            a.without(AttributeType.CKA_LABEL),
            a.with(AttributeType.CKA_ID, new byte[] {1, 2, 3}),
            a.with(AttributeType.CKA_DECRYPT, true),
            a.with(AttributeType.CKA_UNWRAP, true),
            a.with(AttributeType.CKA_TOKEN, false),
            a.with(AttributeType.CKA_ECDSA_PARAMS, Curve.P384.oidDer()),
            a.with(AttributeType.CKA_KEY_TYPE, KeyType.EC_EDWARDS));
    for (int i = 0; i < tampered.size(); i++) {
      Attributes t = tampered.get(i);
      assertNotEquals(a, t);
      writeRow(key, t, key.blob());
      int n = i;
      HsmException e = assertThrows(HsmException.class, sign(key), () -> "change " + n);
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, e.code(), e.getMessage());
    }
    // a real change of the public point
    byte[] point = a.bytes(AttributeType.CKA_EC_POINT).get();
    point[point.length - 1] ^= 1;
    writeRow(key, a.with(AttributeType.CKA_EC_POINT, point), key.blob());
    assertBlobInvalid(sign(key));

    restore(key);
    assertWorks(sign(key));
  }

  // ---------------------------------------------------------------- malformed blobs

  @Test
  void truncatedBlob_isRejected_sayingItIsTooShort() {
    ObjectRecord key = importAes("short");
    byte[] blob = key.blob();

    writeBlob(key, Arrays.copyOf(blob, SksBlob.HEADER_LENGTH + SksBlob.TAG_LENGTH - 1));
    HsmException e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("too short"), e.detail());

    writeBlob(key, new byte[0]);
    e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("too short"), e.detail());

    writeBlob(key, null);
    e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("too short"), e.detail());

    // long enough to parse, but cut: the tag no longer authenticates
    writeBlob(key, Arrays.copyOf(blob, blob.length - 1));
    e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("authentication failed"), e.detail());

    // ... and with a byte appended
    writeBlob(key, Arrays.copyOf(blob, blob.length + 1));
    e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("authentication failed"), e.detail());

    restore(key);
    assertWorks(encrypt(key));
  }

  @Test
  void blobWithWrongVersionByte_isRejected_namingTheVersion() {
    ObjectRecord key = importAes("version");
    byte[] blob = key.blob();
    assertEquals(SksBlob.VERSION, blob[4]);
    for (int v : new int[] {0, 3, 0xff}) {
      byte[] b = blob.clone();
      b[4] = (byte) v;
      writeBlob(key, b);
      HsmException e = assertBlobInvalid(encrypt(key));
      assertTrue(e.detail().contains("version " + v + " is not supported"), () -> e.detail());
    }
    // version 1 is read, but the header it then has is not the one the blob was sealed with
    byte[] v1 = blob.clone();
    v1[4] = SksBlob.VERSION_1;
    writeBlob(key, v1);
    HsmException e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("authentication failed"), e.detail());
    restore(key);
    assertWorks(encrypt(key));
  }

  @Test
  void blobWithAnotherOrigin_isRejected_andAnUnknownOne_namingIt() {
    ObjectRecord key = importAes("origin");
    byte[] blob = key.blob();
    assertEquals(KeyOrigin.OUTSIDE.code(), blob[SksBlob.V1_HEADER_LENGTH]);

    // an imported key claiming to have been generated inside does not open
    byte[] b = blob.clone();
    b[SksBlob.V1_HEADER_LENGTH] = KeyOrigin.INSIDE.code();
    writeBlob(key, b);
    HsmException e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("authentication failed"), e.detail());

    b = blob.clone();
    b[SksBlob.V1_HEADER_LENGTH] = 7;
    writeBlob(key, b);
    e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("origin 7 is unknown"), e.detail());

    restore(key);
    assertWorks(encrypt(key));
  }

  @Test
  void blobWithWrongMagic_isRejected_sayingSo() {
    ObjectRecord key = importAes("magic");
    byte[] blob = key.blob();
    assertArrayEquals("KSKS".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(blob, 4));
    for (int i = 0; i < 4; i++) {
      byte[] b = blob.clone();
      b[i] = 'X';
      writeBlob(key, b);
      HsmException e = assertBlobInvalid(encrypt(key));
      assertTrue(e.detail().contains("magic"), e.detail());
    }
    restore(key);
    assertWorks(encrypt(key));
  }

  @Test
  void blobWithUnknownKindOrSuiteOrKeyType_isRejected_sayingWhich() {
    ObjectRecord key = importAes("fields");
    byte[] blob = key.blob();

    byte[] b = blob.clone();
    b[5] = 7;
    writeBlob(key, b);
    HsmException e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("payload kind 7"), e.detail());

    b = blob.clone();
    b[7] = 9;
    writeBlob(key, b);
    e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("cipher suite 9"), e.detail());

    b = blob.clone();
    b[6] = (byte) KeyType.GENERIC_SECRET.value();
    writeBlob(key, b);
    e = assertBlobInvalid(encrypt(key));
    assertTrue(e.detail().contains("key type"), e.detail());

    // a valid kind, but not the one it was sealed as
    b = blob.clone();
    b[5] = SksBlob.KIND_PKCS8;
    writeBlob(key, b);
    assertBlobInvalid(encrypt(key));

    restore(key);
    assertWorks(encrypt(key));
  }

  // ---------------------------------------------------------------- SMK lifecycle

  /** A member of its own (not TestKeyring) so the protected SMK can be kept and reloaded. */
  private static final class Member implements AutoCloseable {
    final KeyringStore store;
    final Boundary boundary;

    Member(Path storeDir, Path deviceKey) {
      this.store = KeyringStore.open(StoreConfig.h2File(storeDir));
      this.boundary =
          Boundary.open(BoundaryConfig.builder().deviceKeyFile(deviceKey).build(), store);
    }

    @Override
    public void close() {
      boundary.close();
      store.close();
    }
  }

  @Test
  void
      blobs_openAfterARestartThatReloadsTheSmkFromItsProtectedForm_butNotUnderAnotherDeviceKeyOrSmk()
          throws Exception {
    Path memberDir = dir.resolve("member");
    Path storeDir = memberDir.resolve("store");
    Path deviceKey = memberDir.resolve("hsm/device.key");
    UUID cluster = UUID.randomUUID();
    UUID keyring = UUID.randomUUID();
    String encodedSmk;
    ObjectRecord ec;
    ObjectRecord ecPub;
    ObjectRecord aes;
    byte[] ciphertext;

    try (Member m = new Member(storeDir, deviceKey)) {
      assertFalse(m.boundary.hasSmk());
      ProtectedSmk smk = m.boundary.createSmk();
      encodedSmk = smk.encode();
      assertEquals(smk.fingerprint(), m.boundary.smkFingerprint());
      m.store.write(
          tx -> {
            tx.createCluster(cluster, "restart-cluster");
            return tx.createKeyrings(
                cluster,
                List.of(
                    new KeyringRecord(
                        keyring,
                        cluster,
                        "restart",
                        "unused-verifier",
                        false,
                        true,
                        false,
                        0,
                        Instant.now())));
          });
      KeyPairObjects kp =
          m.boundary.generateKeyPair(
              keyring, KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      ec = kp.privateKey();
      ecPub = kp.publicKey();
      aes = m.boundary.generateKey(keyring, KeyGenParams.aes(256), Attributes.empty());
      ciphertext =
          m.boundary.encrypt(
              keyring, aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    }
    assertTrue(Files.size(deviceKey) == 32, "the device key file was created");

    // restart: same store, same device key file, SMK reloaded from its protected (encoded) form
    try (Member m = new Member(storeDir, deviceKey)) {
      assertFalse(m.boundary.hasSmk());
      assertRefused(
          ResultCode.CKR_DEVICE_ERROR,
          () ->
              m.boundary.sign(
                  keyring, ec.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA));
      m.boundary.loadSmk(ProtectedSmk.decode(encodedSmk));
      assertTrue(m.boundary.hasSmk());
      byte[] sig =
          m.boundary.sign(
              keyring, ec.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(PublicKeyAttributes.toPublicKey(ecPub.attributes()));
      v.update(DATA);
      assertTrue(v.verify(sig), "the reloaded key signs for its public key");
      assertArrayEquals(
          DATA,
          m.boundary.decrypt(
              keyring, aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, ciphertext));
    }

    // another HSM (another device key file) cannot load this partition's SMK
    Path otherDeviceKey = dir.resolve("other-hsm/device.key");
    try (Member m = new Member(storeDir, otherDeviceKey)) {
      HsmException e =
          assertRefused(
              ResultCode.CKR_DEVICE_ERROR,
              () -> m.boundary.loadSmk(ProtectedSmk.decode(encodedSmk)));
      assertTrue(e.detail().contains("device key"), e.detail());
      assertFalse(m.boundary.hasSmk());
    }
    assertFalse(
        Arrays.equals(Files.readAllBytes(deviceKey), Files.readAllBytes(otherDeviceKey)),
        "each HSM has its own device key");

    // the protected SMK with a fingerprint that is not its own
    try (Member m = new Member(storeDir, deviceKey)) {
      ProtectedSmk smk = ProtectedSmk.decode(encodedSmk);
      ProtectedSmk lying = new ProtectedSmk(smk.wrapped(), "0123456789abcdef");
      assertRefused(ResultCode.CKR_DEVICE_ERROR, () -> m.boundary.loadSmk(lying));
      byte[] wrapped = smk.wrapped();
      wrapped[wrapped.length / 2] ^= 1;
      assertRefused(
          ResultCode.CKR_DEVICE_ERROR,
          () -> m.boundary.loadSmk(new ProtectedSmk(wrapped, smk.fingerprint())));
      assertFalse(m.boundary.hasSmk());
    }

    // a damaged device key file is refused when the boundary opens
    Path damaged = dir.resolve("damaged-hsm/device.key");
    Files.createDirectories(damaged.getParent());
    Files.write(damaged, new byte[31]);
    try (KeyringStore s = KeyringStore.open(StoreConfig.h2File(storeDir))) {
      assertRefused(
          ResultCode.CKR_DEVICE_ERROR,
          () -> Boundary.open(BoundaryConfig.builder().deviceKeyFile(damaged).build(), s));
    }

    // same device key, but a new SMK: the old blobs are refused, naming the fingerprints
    try (Member m = new Member(storeDir, deviceKey)) {
      String oldFingerprint = ProtectedSmk.decode(encodedSmk).fingerprint();
      ProtectedSmk fresh = m.boundary.createSmk();
      assertNotEquals(oldFingerprint, fresh.fingerprint());
      HsmException e =
          assertBlobInvalid(
              () ->
                  m.boundary.sign(
                      keyring,
                      ec.handle(),
                      Mechanism.CKM_ECDSA_SHA256,
                      MechanismParams.NONE,
                      DATA));
      assertTrue(e.detail().contains("another SMK"), e.detail());
      assertTrue(e.detail().contains(oldFingerprint), e.detail());
      assertTrue(e.detail().contains(fresh.fingerprint()), e.detail());
      assertBlobInvalid(
          () ->
              m.boundary.decrypt(
                  keyring, aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, ciphertext));

      // and loading the old SMK again makes them work again
      m.boundary.loadSmk(ProtectedSmk.decode(encodedSmk));
      assertArrayEquals(
          DATA,
          m.boundary.decrypt(
              keyring, aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, ciphertext));
    }
  }

  @Test
  void cachedKeys_areDroppedWhenAnotherSmkIsLoaded() {
    ObjectRecord aes = importAes("cached");
    assertWorks(encrypt(aes)); // cached now
    kr.boundary.createSmk(); // replaces the SMK: the cache must not keep serving old keys
    assertBlobInvalid(encrypt(aes));
  }

  @Test
  void gcmCiphertextOfTheBoundary_decryptsWithTheImportedKey() throws Exception {
    // sanity check of the fixture used above: the imported key is the one the blob holds
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    ObjectRecord key = kr.importSecretKey(KeyType.AES, raw, Attributes.empty());
    byte[] out =
        kr.boundary.encrypt(
            kr.keyringId, key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(raw, "AES"),
        new GCMParameterSpec(128, Arrays.copyOf(out, 12)));
    assertArrayEquals(DATA, c.doFinal(out, 12, out.length - 12));
  }
}
