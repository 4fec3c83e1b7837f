package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * The store's contract, run against each backend by a subclass. Every test gets a fresh database
 * place (H2: a new file database; PostgreSQL: a new schema with a random name) so runs never see
 * each other's rows.
 */
abstract class KeyringStoreContract {
  private static final int KEYRING_LIMIT = KeyringLimits.MAX_KEYRINGS_PER_CLUSTER;
  private static final int OBJECT_LIMIT = KeyringLimits.MAX_OBJECTS_PER_KEYRING;
  private static final int WRITERS = 8;

  /** The store opened fresh for each test, in database "main". */
  protected KeyringStore store;

  /** The configuration of {@link #store}. */
  protected StoreConfig storeConfig;

  private final List<KeyringStore> opened = new ArrayList<>();
  private final List<StoreConfig> configs = new ArrayList<>();

  /** "H2" or "PostgreSQL". */
  protected abstract String backend();

  /**
   * A configuration for {@code schema} in {@code database}. H2 keeps each database name in its own
   * file; PostgreSQL has one database and ignores the name.
   */
  protected abstract StoreConfig config(String database, String schema);

  /** The arguments that make {@link KillWriterMain} open the store of {@code config}. */
  protected abstract List<String> killWriterArgs(StoreConfig config);

  /** Removes what a test's configuration left behind (after its stores are closed). */
  protected void cleanUp(StoreConfig config) throws Exception {}

  /**
   * Called first before each test: skips (by assumption) or fails it when the backend is not
   * available.
   */
  protected void requireBackend() {}

  @BeforeEach
  void openFreshStore() {
    requireBackend();
    storeConfig = freshConfig("main");
    store = open(storeConfig);
  }

  @AfterEach
  void closeAndCleanUp() throws Exception {
    for (KeyringStore s : opened) {
      s.close();
    }
    for (StoreConfig c : configs) {
      cleanUp(c);
    }
  }

  /** A configuration for a new, empty schema. */
  protected StoreConfig freshConfig(String database) {
    String schema = "kr_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    StoreConfig c = config(database, schema);
    configs.add(c);
    return c;
  }

  /** Opens a store that the test closes at its end. */
  protected KeyringStore open(StoreConfig config) {
    KeyringStore s = KeyringStore.open(config);
    opened.add(s);
    return s;
  }

  // ---------------------------------------------------------------- helpers

  static KeyringRecord newKeyring(UUID clusterId, String label) {
    return new KeyringRecord(
        UUID.randomUUID(), clusterId, label, "v1$" + label, true, false, false, 0, Instant.now());
  }

  static UUID createCluster(KeyringStore s) {
    return s.write(tx -> tx.createCluster(UUID.randomUUID(), "cluster")).id();
  }

  /** Creates {@code n} keyrings labelled {@code prefix-i}, 100 per transaction. */
  static void createKeyrings(KeyringStore s, UUID cluster, String prefix, int n) {
    for (int from = 0; from < n; from += 100) {
      List<KeyringRecord> batch = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + 100); i++) {
        batch.add(newKeyring(cluster, prefix + "-" + i));
      }
      s.write(tx -> tx.createKeyrings(cluster, batch));
    }
  }

  static UUID createKeyring(KeyringStore s, UUID cluster, String label) {
    KeyringRecord k = newKeyring(cluster, label);
    s.write(tx -> tx.createKeyrings(cluster, List.of(k)));
    return k.id();
  }

  static Attributes attributes(String label) {
    return Attributes.builder()
        .objectClass(ObjectClass.SECRET_KEY)
        .keyType(KeyType.AES)
        .label(label)
        .id(label.getBytes(StandardCharsets.UTF_8))
        .flag(AttributeType.CKA_TOKEN, true)
        .build();
  }

  /** Writes cluster value {@code name} as the primary of epoch 1 (a logged write). */
  static void putValueAsPrimary(KeyringStore s, String name, byte... value) {
    s.writeAsPrimary(
        1,
        tx -> {
          tx.putClusterValue(name, value);
          return null;
        });
  }

  static ObjectRecord insertObject(KeyringStore s, UUID keyring, String label) {
    return s.write(
        tx ->
            tx.insertObject(
                keyring,
                UUID.randomUUID(),
                ObjectClass.SECRET_KEY,
                attributes(label),
                label.getBytes(StandardCharsets.UTF_8)));
  }

  static HsmException assertRefused(ResultCode code, Executable call) {
    HsmException e = assertThrows(HsmException.class, call);
    assertEquals(code, e.code(), () -> "wrong code; message: " + e.getMessage());
    return e;
  }

  // ---------------------------------------------------------------- schema

  @Test
  void open_createsSchemaAtTheLatestVersion_andReopenKeepsIt() {
    assertEquals(2, store.schemaVersion());
    assertEquals(Migrations.latestVersion(), store.schemaVersion());
    store.close();
    assertTrue(store.isClosed());
    KeyringStore again = open(storeConfig);
    assertEquals(2, again.schemaVersion());
  }

  @Test
  void schemas_keepStoresInOneDatabaseApart() {
    KeyringStore other = open(freshConfig("main"));
    createCluster(store);
    assertTrue(store.cluster().isPresent());
    assertTrue(other.cluster().isEmpty());
    assertEquals(0, other.keyringCount());
  }

  @Test
  void closedStore_refusesCallsWithDeviceError() {
    store.close();
    assertRefused(ResultCode.CKR_DEVICE_ERROR, () -> store.keyringCount());
    assertRefused(ResultCode.CKR_DEVICE_ERROR, () -> createCluster(store));
    store.close(); // idempotent
  }

  // ---------------------------------------------------------------- cluster

  @Test
  void createCluster_roundTrips_andASecondClusterIsRefusedWithFunctionFailed() {
    assertTrue(store.cluster().isEmpty());
    UUID id = UUID.randomUUID();
    ClusterRecord created = store.write(tx -> tx.createCluster(id, "prod-eu"));
    assertEquals(Optional.of(created), store.cluster());
    assertEquals(id, created.id());
    assertEquals("prod-eu", created.label());

    UUID other = UUID.randomUUID();
    HsmException e =
        assertRefused(
            ResultCode.CKR_FUNCTION_FAILED,
            () -> store.write(tx -> tx.createCluster(other, "second")));
    assertTrue(e.getMessage().contains(id.toString()), e.getMessage());
    assertEquals(Optional.of(created), store.cluster());
  }

  // ---------------------------------------------------------------- keyrings

  @Test
  void deleteCluster_removesItsKeyringsAndObjects_andANewClusterMayThenBeCreated() {
    buildFixedState(store, false);
    store.write(
        tx -> {
          tx.putHsmState("pki.cluster-ca", new byte[] {1, 2});
          return null;
        });
    assertTrue(store.<Boolean>write(tx -> tx.deleteCluster(CLUSTER_ID)));
    assertTrue(store.cluster().isEmpty());
    assertEquals(0, store.keyringCount());
    assertEquals(0, store.objectCount(RING_A));
    assertTrue(store.<Boolean>write(tx -> tx.deleteHsmState("pki.cluster-ca")));
    assertTrue(store.hsmState("pki.cluster-ca").isEmpty());
    assertFalse(store.<Boolean>write(tx -> tx.deleteHsmState("pki.cluster-ca")));
    assertFalse(store.<Boolean>write(tx -> tx.deleteCluster(CLUSTER_ID)));
    UUID next = createCluster(store);
    assertEquals(next, store.cluster().orElseThrow().id());
  }

  @Test
  void createKeyrings_roundTripsEveryField_andListsByLabel() {
    UUID cluster = createCluster(store);
    Instant t = Instant.parse("2024-05-06T07:08:09.123456789Z");
    KeyringRecord b =
        new KeyringRecord(
            UUID.randomUUID(), cluster, "b-ring", "verifier-b", false, true, true, 7, t);
    KeyringRecord a =
        new KeyringRecord(
            UUID.randomUUID(), cluster, "a-ring ключ", "verifier-a", true, false, false, 0, t);
    List<KeyringRecord> created = store.write(tx -> tx.createKeyrings(cluster, List.of(b, a)));

    Instant micros = Instant.parse("2024-05-06T07:08:09.123456Z");
    assertEquals(micros, created.get(0).createdAt(), "kept to the microsecond");
    assertEquals(List.of(b.id(), a.id()), created.stream().map(KeyringRecord::id).toList());
    assertEquals(Optional.of(created.get(0)), store.keyring(b.id()));
    assertEquals(Optional.of(created.get(1)), store.keyringByLabel("a-ring ключ"));
    assertEquals(List.of(created.get(1), created.get(0)), store.keyrings());
    assertEquals(2, store.keyringCount());
    assertTrue(store.keyring(UUID.randomUUID()).isEmpty());
    assertTrue(store.keyringByLabel("nope").isEmpty());
    assertEquals(List.of(), store.write(tx -> tx.createKeyrings(cluster, List.of())));
  }

  @Test
  void createKeyrings_withAUsedLabel_isRefusedWithArgumentsBadNamingItAndChangesNothing() {
    UUID cluster = createCluster(store);
    createKeyring(store, cluster, "payments");
    String before = store.stateDigest();

    HsmException e =
        assertRefused(
            ResultCode.CKR_ARGUMENTS_BAD,
            () ->
                store.write(
                    tx ->
                        tx.createKeyrings(
                            cluster,
                            List.of(
                                newKeyring(cluster, "fresh"), newKeyring(cluster, "payments")))));
    assertTrue(e.getMessage().contains("'payments'"), e.getMessage());

    HsmException twice =
        assertRefused(
            ResultCode.CKR_ARGUMENTS_BAD,
            () ->
                store.write(
                    tx ->
                        tx.createKeyrings(
                            cluster, List.of(newKeyring(cluster, "x"), newKeyring(cluster, "x")))));
    assertTrue(twice.getMessage().contains("'x'"), twice.getMessage());
    assertEquals(1, store.keyringCount());
    assertEquals(before, store.stateDigest());
  }

  @Test
  void createKeyrings_inAnUnknownOrOtherCluster_isRefusedWithArgumentsBad() {
    UUID cluster = createCluster(store);
    UUID unknown = UUID.randomUUID();
    assertRefused(
        ResultCode.CKR_ARGUMENTS_BAD,
        () -> store.write(tx -> tx.createKeyrings(unknown, List.of(newKeyring(unknown, "k")))));
    assertRefused(
        ResultCode.CKR_ARGUMENTS_BAD,
        () -> store.write(tx -> tx.createKeyrings(cluster, List.of(newKeyring(unknown, "k")))));
    assertEquals(0, store.keyringCount());
  }

  @Test
  void updateKeyring_replacesCredentialFlagsAndLockState_butNotLabel() {
    UUID cluster = createCluster(store);
    UUID id = createKeyring(store, cluster, "ops");
    KeyringRecord k = store.keyring(id).orElseThrow();
    KeyringRecord changed =
        k.withCredential("v2$new", false).withKrcoInitialized(true).withLock(true, 10);
    store.write(
        tx -> {
          KeyringRecord locked = tx.lockKeyring(id).orElseThrow();
          assertEquals(k, locked);
          tx.updateKeyring(changed);
          assertEquals(Optional.of(changed), tx.lockKeyring(id), "reads see own writes");
          return null;
        });
    assertEquals(Optional.of(changed), store.keyring(id));
    assertTrue(store.write(tx -> tx.lockKeyring(UUID.randomUUID())).isEmpty());
  }

  @Test
  void updateKeyring_ofAMissingKeyring_isRefusedWithSlotIdInvalid() {
    UUID cluster = createCluster(store);
    KeyringRecord ghost = newKeyring(cluster, "ghost");
    assertRefused(
        ResultCode.CKR_SLOT_ID_INVALID,
        () ->
            store.write(
                tx -> {
                  tx.updateKeyring(ghost);
                  return null;
                }));
  }

  @Test
  void deleteKeyring_deletesItsObjects_andReportsWhetherItExisted() {
    UUID cluster = createCluster(store);
    UUID doomed = createKeyring(store, cluster, "doomed");
    UUID kept = createKeyring(store, cluster, "kept");
    insertObject(store, doomed, "a");
    insertObject(store, doomed, "b");
    ObjectRecord keptObject = insertObject(store, kept, "c");

    assertTrue(store.<Boolean>write(tx -> tx.deleteKeyring(doomed)));
    assertFalse(store.<Boolean>write(tx -> tx.deleteKeyring(doomed)));
    assertTrue(store.keyring(doomed).isEmpty());
    assertEquals(0, store.objectCount(doomed));
    assertEquals(List.of(), store.findObjects(doomed, Attributes.empty()));
    assertEquals(List.of(keptObject), store.findObjects(kept, Attributes.empty()));
    assertEquals(1, store.keyringCount());
  }

  // ---------------------------------------------------------------- objects

  @Test
  void insertObject_assignsHandlesFromOne_andNeverReusesThem() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    UUID other = createKeyring(store, cluster, "other");
    assertEquals(1, insertObject(store, k, "a").handle());
    assertEquals(2, insertObject(store, k, "b").handle());
    assertEquals(3, insertObject(store, k, "c").handle());
    assertEquals(1, insertObject(store, other, "x").handle(), "handles are per keyring");
    assertTrue(store.<Boolean>write(tx -> tx.deleteObject(k, 3)));
    assertEquals(4, insertObject(store, k, "d").handle(), "the last handle is not reused");
    assertTrue(store.<Boolean>write(tx -> tx.deleteObject(k, 1)));
    assertFalse(store.<Boolean>write(tx -> tx.deleteObject(k, 1)));
    assertEquals(5, insertObject(store, k, "e").handle());
    assertEquals(
        List.of(2L, 4L, 5L),
        store.findObjects(k, Attributes.empty()).stream().map(ObjectRecord::handle).toList());
  }

  @Test
  void insertObject_intoAnUnknownKeyring_isRefusedWithSlotIdInvalid() {
    createCluster(store);
    UUID unknown = UUID.randomUUID();
    HsmException e =
        assertRefused(ResultCode.CKR_SLOT_ID_INVALID, () -> insertObject(store, unknown, "a"));
    assertTrue(e.getMessage().contains(unknown.toString()), e.getMessage());
  }

  @Test
  void insertObject_withAUsedObjectId_isRefusedWithArgumentsBad() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord first = insertObject(store, k, "a");
    assertRefused(
        ResultCode.CKR_ARGUMENTS_BAD,
        () ->
            store.write(
                tx ->
                    tx.insertObject(
                        k, first.objectId(), ObjectClass.DATA, Attributes.empty(), null)));
    assertEquals(1, store.objectCount(k));
  }

  @Test
  void insertObjects_assignsTheNextHandlesInOrder_andReadsBackAsInsertObjectWould() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    insertObject(store, k, "first");
    List<NewObject> batch = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      batch.add(
          new NewObject(
              UUID.randomUUID(), ObjectClass.PRIVATE_KEY, attributes("b" + i), new byte[] {7, 8}));
    }
    List<ObjectRecord> stored = store.write(tx -> tx.insertObjects(k, batch));
    assertEquals(List.of(2L, 3L, 4L), stored.stream().map(ObjectRecord::handle).toList());
    for (int i = 0; i < 3; i++) {
      ObjectRecord read = store.object(k, 2 + i).orElseThrow();
      assertEquals(batch.get(i).objectId(), read.objectId());
      assertEquals(batch.get(i).attributes(), read.attributes());
      assertArrayEquals(new byte[] {7, 8}, read.blob());
    }
    assertEquals(5, insertObject(store, k, "after").handle(), "the next handle moved past them");
    assertEquals(List.of(), store.write(tx -> tx.insertObjects(k, List.of())));
    assertEquals(5, store.objectCount(k));
  }

  @Test
  void insertObjects_pastTheLimit_usedOrRepeatedIds_orAnUnknownKeyring_areRefusedWhole() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord first = insertObject(store, k, "first");
    List<NewObject> full = new ArrayList<>();
    for (int i = 0; i < OBJECT_LIMIT; i++) {
      full.add(new NewObject(UUID.randomUUID(), ObjectClass.DATA, attributes("o" + i), null));
    }
    String before = store.stateDigest();
    HsmException e =
        assertRefused(
            ResultCode.CKR_DEVICE_MEMORY, () -> store.write(tx -> tx.insertObjects(k, full)));
    assertEquals(
        "keyring " + k + " holds 1 objects; adding 256 more would pass the limit of 256",
        e.detail());
    NewObject a = new NewObject(UUID.randomUUID(), ObjectClass.DATA, attributes("a"), null);
    NewObject used = new NewObject(first.objectId(), ObjectClass.DATA, attributes("u"), null);
    assertRefused(
        ResultCode.CKR_ARGUMENTS_BAD,
        () -> store.write(tx -> tx.insertObjects(k, List.of(a, used))));
    assertRefused(
        ResultCode.CKR_ARGUMENTS_BAD, () -> store.write(tx -> tx.insertObjects(k, List.of(a, a))));
    UUID unknown = UUID.randomUUID();
    assertRefused(
        ResultCode.CKR_SLOT_ID_INVALID,
        () -> store.write(tx -> tx.insertObjects(unknown, List.of(a))));
    assertEquals(before, store.stateDigest(), "nothing of a refused batch is stored");
    assertEquals(1, store.objectCount(k));
    // 255 fit beside the first
    assertEquals(
        OBJECT_LIMIT - 1,
        store.write(tx -> tx.insertObjects(k, full.subList(0, OBJECT_LIMIT - 1))).size());
    assertEquals(OBJECT_LIMIT, store.objectCount(k));
  }

  @Test
  void objects_roundTripAttributesJsonWithByteValues_andBlobsByteExact() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    byte[] id = new byte[256];
    for (int i = 0; i < id.length; i++) {
      id[i] = (byte) i;
    }
    byte[] modulus = new byte[512];
    new Random(1).nextBytes(modulus);
    Attributes attrs =
        Attributes.builder()
            .objectClass(ObjectClass.PRIVATE_KEY)
            .keyType(KeyType.RSA)
            .label("ключ 🔑 \"quoted\" \\ back")
            .id(id)
            .flag(AttributeType.CKA_SIGN, true)
            .flag(AttributeType.CKA_DECRYPT, false)
            .set(AttributeType.CKA_MODULUS, modulus)
            .set(AttributeType.CKA_PUBLIC_EXPONENT, new byte[] {1, 0, 1})
            .build();
    byte[] blob = new byte[70_000];
    new Random(2).nextBytes(blob);

    ObjectRecord withBlob =
        store.write(
            tx -> tx.insertObject(k, UUID.randomUUID(), ObjectClass.PRIVATE_KEY, attrs, blob));
    ObjectRecord noBlob =
        store.write(
            tx ->
                tx.insertObject(
                    k, UUID.randomUUID(), ObjectClass.PUBLIC_KEY, Attributes.empty(), null));
    ObjectRecord emptyBlob =
        store.write(
            tx -> tx.insertObject(k, UUID.randomUUID(), ObjectClass.DATA, attrs, new byte[0]));

    ObjectRecord read = store.object(k, withBlob.handle()).orElseThrow();
    assertEquals(withBlob, read);
    assertEquals(attrs, read.attributes());
    assertArrayEquals(attrs.canonicalEncoding(), read.attributes().canonicalEncoding());
    assertArrayEquals(id, read.attributes().bytes(AttributeType.CKA_ID).orElseThrow());
    assertEquals(attrs.label(), read.attributes().label());
    assertArrayEquals(blob, read.blob());
    assertEquals(ObjectClass.PRIVATE_KEY, read.objectClass());
    assertEquals(k, read.keyringId());

    ObjectRecord readNoBlob = store.object(k, noBlob.handle()).orElseThrow();
    assertNull(readNoBlob.blob());
    assertEquals(noBlob, readNoBlob);
    assertArrayEquals(new byte[0], store.object(k, emptyBlob.handle()).orElseThrow().blob());
    assertTrue(store.object(k, 99).isEmpty());
    assertEquals(3, store.objectCount(k));
  }

  @Test
  void updateObject_replacesAttributesAndBlob() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord o = insertObject(store, k, "before");
    ObjectRecord changed = o.withAttributesAndBlob(attributes("after"), new byte[] {9, 8, 7});
    store.write(
        tx -> {
          tx.updateObject(changed);
          return null;
        });
    assertEquals(Optional.of(changed), store.object(k, o.handle()));
    ObjectRecord noBlob = changed.withAttributesAndBlob(attributes("after"), null);
    store.write(
        tx -> {
          tx.updateObject(noBlob);
          return null;
        });
    assertNull(store.object(k, o.handle()).orElseThrow().blob());
  }

  @Test
  void updateObject_ofAMissingObject_isRefusedWithObjectHandleInvalid() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord o = insertObject(store, k, "a");
    store.write(tx -> tx.deleteObject(k, o.handle()));
    assertRefused(
        ResultCode.CKR_OBJECT_HANDLE_INVALID,
        () ->
            store.write(
                tx -> {
                  tx.updateObject(o);
                  return null;
                }));
  }

  @Test
  void findObjects_returnsTheMatchingObjectsByHandle() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord a = insertObject(store, k, "alpha");
    ObjectRecord b = insertObject(store, k, "beta");
    ObjectRecord data =
        store.write(
            tx ->
                tx.insertObject(
                    k,
                    UUID.randomUUID(),
                    ObjectClass.DATA,
                    Attributes.builder().objectClass(ObjectClass.DATA).label("alpha").build(),
                    null));
    assertEquals(List.of(a, b, data), store.findObjects(k, Attributes.empty()));
    assertEquals(
        List.of(a, data), store.findObjects(k, Attributes.builder().label("alpha").build()));
    assertEquals(
        List.of(a, b),
        store.findObjects(k, Attributes.builder().objectClass(ObjectClass.SECRET_KEY).build()));
    assertEquals(
        List.of(b),
        store.findObjects(
            k, Attributes.builder().id("beta".getBytes(StandardCharsets.UTF_8)).build()));
    assertEquals(List.of(), store.findObjects(k, Attributes.builder().label("gamma").build()));
    assertEquals(List.of(), store.findObjects(UUID.randomUUID(), Attributes.empty()));
  }

  // ---------------------------------------------------------------- hsm state

  @Test
  void hsmState_roundTripsAndIsReplaced() {
    assertTrue(store.hsmState("smk").isEmpty());
    byte[] v1 = {0, 1, 2, (byte) 0xff};
    store.write(
        tx -> {
          tx.putHsmState("smk", v1);
          tx.putHsmState("other", new byte[0]);
          return null;
        });
    assertArrayEquals(v1, store.hsmState("smk").orElseThrow());
    assertArrayEquals(new byte[0], store.hsmState("other").orElseThrow());
    byte[] v2 = new byte[5000];
    new Random(3).nextBytes(v2);
    store.write(
        tx -> {
          tx.putHsmState("smk", v2);
          return null;
        });
    assertArrayEquals(v2, store.hsmState("smk").orElseThrow());
  }

  // ---------------------------------------------------------------- limits

  @Test
  void createKeyrings_upTo3500_areAccepted() {
    UUID cluster = createCluster(store);
    createKeyrings(store, cluster, "k", KEYRING_LIMIT);
    assertEquals(KEYRING_LIMIT, store.keyringCount());
  }

  @Test
  void createKeyrings_beyond3500_isRefusedAndChangesNothing() {
    UUID cluster = createCluster(store);
    createKeyrings(store, cluster, "k", KEYRING_LIMIT - 1);
    String before = store.stateDigest();

    HsmException two =
        assertRefused(
            ResultCode.CKR_DEVICE_MEMORY,
            () ->
                store.write(
                    tx ->
                        tx.createKeyrings(
                            cluster, List.of(newKeyring(cluster, "x"), newKeyring(cluster, "y")))));
    assertEquals(
        "cluster " + cluster + " holds 3499 keyrings; creating 2 more would pass the limit of 3500",
        two.detail());
    assertEquals(KEYRING_LIMIT - 1, store.keyringCount());
    assertEquals(before, store.stateDigest());

    createKeyring(store, cluster, "last");
    assertEquals(KEYRING_LIMIT, store.keyringCount());
    String full = store.stateDigest();
    HsmException one =
        assertRefused(ResultCode.CKR_DEVICE_MEMORY, () -> createKeyring(store, cluster, "over"));
    assertEquals(
        "cluster " + cluster + " holds 3500 keyrings; creating 1 more would pass the limit of 3500",
        one.detail());
    assertEquals(KEYRING_LIMIT, store.keyringCount());
    assertEquals(full, store.stateDigest());
    assertTrue(store.keyringByLabel("over").isEmpty());
  }

  @Test
  void insertObject_beyond256_isRefusedAndChangesNothing() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    store.write(
        tx -> {
          for (int i = 0; i < OBJECT_LIMIT; i++) {
            tx.insertObject(k, UUID.randomUUID(), ObjectClass.DATA, attributes("o" + i), null);
          }
          return null;
        });
    assertEquals(OBJECT_LIMIT, store.objectCount(k));
    String before = store.stateDigest();
    HsmException e =
        assertRefused(ResultCode.CKR_DEVICE_MEMORY, () -> insertObject(store, k, "one-too-many"));
    assertEquals(
        "keyring " + k + " holds 256 objects; adding 1 more would pass the limit of 256",
        e.detail());
    assertEquals(OBJECT_LIMIT, store.objectCount(k));
    assertEquals(before, store.stateDigest());

    // a deleted object frees a place, but its handle is not reused
    store.write(tx -> tx.deleteObject(k, 10));
    assertEquals(OBJECT_LIMIT + 1, insertObject(store, k, "again").handle());
  }

  /** What one racing writer saw. */
  private record RaceResult(int successes, HsmException refusal, Throwable unexpected) {}

  /**
   * Runs {@link #WRITERS} threads, each calling {@code step} until it throws; returns what each
   * saw. Bounded: each thread stops after {@code maxSteps} steps, and the whole race after 90 s.
   */
  private static List<RaceResult> race(Callable<Object> step, int maxSteps) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<RaceResult>> futures = new ArrayList<>();
      for (int t = 0; t < WRITERS; t++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  int successes = 0;
                  for (int i = 0; i < maxSteps; i++) {
                    try {
                      step.call();
                      successes++;
                    } catch (HsmException e) {
                      return e.code() == ResultCode.CKR_DEVICE_MEMORY
                          ? new RaceResult(successes, e, null)
                          : new RaceResult(successes, null, e);
                    } catch (Throwable e) {
                      return new RaceResult(successes, null, e);
                    }
                  }
                  return new RaceResult(successes, null, new AssertionError("never refused"));
                }));
      }
      start.countDown();
      List<RaceResult> results = new ArrayList<>();
      for (Future<RaceResult> f : futures) {
        results.add(f.get(90, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS), "racing writers did not stop");
    }
  }

  private static void assertRaceEndedAtTheLimit(List<RaceResult> results, int expectedSuccesses) {
    for (RaceResult r : results) {
      if (r.unexpected() != null) {
        AssertionError e =
            new AssertionError("a writer failed otherwise than by the limit: " + r.unexpected());
        e.initCause(r.unexpected());
        throw e;
      }
      assertEquals(ResultCode.CKR_DEVICE_MEMORY, r.refusal().code());
    }
    assertEquals(expectedSuccesses, results.stream().mapToInt(RaceResult::successes).sum());
  }

  @Test
  @Timeout(180)
  void createKeyrings_8ConcurrentWritersRacingPast3500_endExactlyAtTheLimit() throws Exception {
    UUID cluster = createCluster(store);
    int prefilled = KEYRING_LIMIT - 100;
    createKeyrings(store, cluster, "pre", prefilled);
    AtomicInteger labels = new AtomicInteger();
    List<RaceResult> results =
        race(() -> createKeyring(store, cluster, "race-" + labels.incrementAndGet()), 1000);
    assertRaceEndedAtTheLimit(results, KEYRING_LIMIT - prefilled);
    for (RaceResult r : results) {
      assertTrue(r.refusal().detail().contains("holds 3500 keyrings"), r.refusal().detail());
    }
    assertEquals(KEYRING_LIMIT, store.keyringCount());
  }

  @Test
  @Timeout(180)
  void insertObject_8ConcurrentWritersRacingPast256_endExactlyAtTheLimit() throws Exception {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    AtomicInteger labels = new AtomicInteger();
    List<RaceResult> results =
        race(() -> insertObject(store, k, "o" + labels.incrementAndGet()), 1000);
    assertRaceEndedAtTheLimit(results, OBJECT_LIMIT);
    assertEquals(OBJECT_LIMIT, store.objectCount(k));
    assertEquals(
        LongStream.rangeClosed(1, OBJECT_LIMIT).boxed().toList(),
        store.findObjects(k, Attributes.empty()).stream().map(ObjectRecord::handle).toList(),
        "every handle assigned once, none skipped");
  }

  // ---------------------------------------------------------------- transactions

  @Test
  void write_thatThrowsAfterInserts_leavesNothingBehind_andRethrowsTheSameException() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "existing");
    String before = store.stateDigest();
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException thrown =
        assertThrows(
            IllegalStateException.class,
            () ->
                store.write(
                    tx -> {
                      tx.createKeyrings(cluster, List.of(newKeyring(cluster, "new")));
                      tx.insertObject(
                          k, UUID.randomUUID(), ObjectClass.DATA, attributes("o"), null);
                      tx.putHsmState("state", new byte[] {1});
                      tx.updateKeyring(store.keyring(k).orElseThrow().withLock(true, 3));
                      throw boom;
                    }));
    assertSame(boom, thrown);
    assertEquals(before, store.stateDigest());
    assertEquals(1, store.keyringCount());
    assertEquals(0, store.objectCount(k));
    assertTrue(store.hsmState("state").isEmpty());
  }

  @Test
  void write_refusedAfterEarlierWritesInTheSameTransaction_leavesNothingBehind() {
    UUID cluster = createCluster(store);
    createKeyring(store, cluster, "taken");
    String before = store.stateDigest();
    AtomicInteger runs = new AtomicInteger();
    HsmException e =
        assertRefused(
            ResultCode.CKR_ARGUMENTS_BAD,
            () ->
                store.write(
                    tx -> {
                      runs.incrementAndGet();
                      tx.createKeyrings(cluster, List.of(newKeyring(cluster, "first")));
                      return tx.createKeyrings(cluster, List.of(newKeyring(cluster, "taken")));
                    }));
    assertTrue(e.detail().contains("'taken'"), e.detail());
    assertEquals(1, runs.get(), "a refusal is not retried");
    assertEquals(before, store.stateDigest());
    assertTrue(store.keyringByLabel("first").isEmpty());
  }

  @Test
  void write_hsmExceptionFromWork_passesThroughUnchanged_andIsNotRetried() {
    HsmException mine = new HsmException(ResultCode.CKR_PIN_INCORRECT, "wrong password");
    AtomicInteger runs = new AtomicInteger();
    HsmException thrown =
        assertThrows(
            HsmException.class,
            () ->
                store.write(
                    tx -> {
                      runs.incrementAndGet();
                      tx.putHsmState("x", new byte[] {1});
                      throw mine;
                    }));
    assertSame(mine, thrown);
    assertEquals(1, runs.get());
    assertTrue(store.hsmState("x").isEmpty());
  }

  @Test
  void write_whoseFailedStatementWasCaught_commitsNothing_andReportsTheDeviceError() {
    UUID cluster = createCluster(store);
    String before = store.stateDigest();
    HsmException e =
        assertRefused(
            ResultCode.CKR_DEVICE_ERROR,
            () ->
                store.write(
                    tx -> {
                      tx.createKeyrings(cluster, List.of(newKeyring(cluster, "half")));
                      try {
                        tx.putHsmState("n".repeat(300), new byte[] {1}); // name too long
                      } catch (HsmException swallowed) {
                        assertEquals(ResultCode.CKR_DEVICE_ERROR, swallowed.code());
                      }
                      return "done";
                    }));
    assertTrue(e.detail().startsWith("setting HSM state '"), e.detail());
    assertEquals(before, store.stateDigest());
    assertEquals(0, store.keyringCount());
  }

  @Test
  void write_retriesTransientSqlFailures_butAtMost5Times() {
    AtomicInteger runs = new AtomicInteger();
    String result =
        store.write(
            tx -> {
              if (runs.incrementAndGet() < 3) {
                throw StoreSqlException.wrap(
                    "locking something", new SQLException("deadlock detected", "40P01"));
              }
              tx.putHsmState("retried", new byte[] {1});
              return "ok";
            });
    assertEquals("ok", result);
    assertEquals(3, runs.get());
    assertTrue(store.hsmState("retried").isPresent());

    runs.set(0);
    HsmException gaveUp =
        assertRefused(
            ResultCode.CKR_DEVICE_ERROR,
            () ->
                store.write(
                    tx -> {
                      runs.incrementAndGet();
                      throw StoreSqlException.wrap(
                          "locking something", new SQLException("timeout", "HYT00", 50200));
                    }));
    assertEquals(KeyringStore.MAX_WRITE_ATTEMPTS, runs.get());
    assertTrue(gaveUp.detail().contains("gave up after 5 attempts"), gaveUp.detail());

    runs.set(0);
    assertRefused(
        ResultCode.CKR_DEVICE_ERROR,
        () ->
            store.write(
                tx -> {
                  runs.incrementAndGet();
                  throw StoreSqlException.wrap("inserting", new SQLException("too long", "22001"));
                }));
    assertEquals(1, runs.get(), "a non-transient failure is not retried");
  }

  @Test
  void transaction_usedAfterItsWriteReturned_isRefused() {
    StoreTransaction leaked = store.write(tx -> tx);
    assertThrows(IllegalStateException.class, () -> leaked.putHsmState("x", new byte[] {1}));
    assertTrue(store.hsmState("x").isEmpty());
  }

  // ---------------------------------------------------------------- persistence

  @Test
  void state_survivesCloseAndReopen() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    insertObject(store, k, "a");
    ObjectRecord b = insertObject(store, k, "b");
    store.write(tx -> tx.deleteObject(k, b.handle()));
    store.write(
        tx -> {
          tx.putHsmState("smk", new byte[] {4, 5, 6});
          return null;
        });
    String digest = store.stateDigest();
    List<KeyringRecord> keyrings = store.keyrings();
    List<ObjectRecord> objects = store.findObjects(k, Attributes.empty());
    ClusterRecord clusterRecord = store.cluster().orElseThrow();
    store.close();

    KeyringStore reopened = open(storeConfig);
    assertEquals(digest, reopened.stateDigest());
    assertEquals(Optional.of(clusterRecord), reopened.cluster());
    assertEquals(keyrings, reopened.keyrings());
    assertEquals(objects, reopened.findObjects(k, Attributes.empty()));
    assertArrayEquals(new byte[] {4, 5, 6}, reopened.hsmState("smk").orElseThrow());
    assertEquals(3, insertObject(reopened, k, "c").handle(), "next handle survives too");
  }

  /**
   * Starts {@link KillWriterMain} in a child JVM, waits for 30 commits, SIGKILLs it while it is
   * writing, and checks that every commit it reported is there, whole, and nothing partial is.
   */
  @Test
  @Timeout(150)
  void killDashNine_midWrite_losesNoReportedCommit_andLeavesNoPartialWrite() throws Exception {
    store.close(); // the child must be able to open the database (H2 locks its file)
    String java =
        ProcessHandle.current().info().command().orElseThrow(() -> new AssertionError("no java"));
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(KillWriterMain.class.getName());
    command.addAll(killWriterArgs(storeConfig));
    Path stderr = Files.createTempFile("kill-writer", ".stderr");
    Process child = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  lines.add(line);
                }
              } catch (IOException e) {
                lines.add("READ-ERROR " + e);
              }
              lines.add("EOF");
            },
            "kill-writer-stdout");
    reader.setDaemon(true);
    reader.start();

    Set<UUID> committed = new HashSet<>();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (committed.size() < 30) {
        String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (line == null || line.equals("EOF") || line.startsWith("READ-ERROR")) {
          fail(
              "the writer stopped or stalled after "
                  + committed.size()
                  + " commits ("
                  + line
                  + "); its stderr:\n"
                  + Files.readString(stderr));
        }
        if (line.startsWith("COMMITTED ")) {
          committed.add(UUID.fromString(line.substring("COMMITTED ".length())));
        }
      }
      assertTrue(child.isAlive(), "the writer must still be writing when it is killed");
      child.destroyForcibly(); // SIGKILL on Linux
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed writer did not exit");
      assertNotEquals(0, child.exitValue(), "the writer was killed, not finished");
      // lines the child printed before it died are commits too
      for (String line = lines.poll(10, TimeUnit.SECONDS);
          line != null && !line.equals("EOF");
          line = lines.poll(10, TimeUnit.SECONDS)) {
        if (line.startsWith("COMMITTED ")) {
          committed.add(UUID.fromString(line.substring("COMMITTED ".length())));
        }
      }
    } finally {
      if (child.isAlive()) {
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
      }
    }

    KeyringStore reopened = open(storeConfig);
    for (UUID id : committed) {
      assertTrue(reopened.keyring(id).isPresent(), "committed keyring " + id + " was lost");
      assertEquals(3, reopened.objectCount(id), "committed keyring " + id + " lost objects");
    }
    List<KeyringRecord> all = reopened.keyrings();
    for (KeyringRecord k : all) {
      assertEquals(3, reopened.objectCount(k.id()), "partial write left behind: " + k);
    }
    assertTrue(all.size() >= committed.size());
    System.out.println(
        "store contract on "
            + backend()
            + ": writer SIGKILLed after reporting "
            + committed.size()
            + " commits; the reopened store holds "
            + all.size()
            + " whole keyrings");
    Files.deleteIfExists(stderr);
  }

  // ---------------------------------------------------------------- digest

  private static final UUID CLUSTER_ID = UUID.fromString("00000000-0000-0000-0000-0000000000c1");
  private static final UUID RING_A = UUID.fromString("0a000000-0000-0000-0000-000000000001");
  private static final UUID RING_B = UUID.fromString("f0000000-0000-0000-0000-000000000002");

  private static KeyringRecord fixedRing(UUID id, String label, Instant created) {
    return new KeyringRecord(id, CLUSTER_ID, label, "v$" + label, true, false, false, 0, created);
  }

  private static UUID objectId(int n) {
    return new UUID(0x0b0b000000000000L + n, n);
  }

  private static void insertFixed(StoreTransaction tx, UUID ring, int n) {
    tx.insertObject(
        ring,
        objectId(n),
        ObjectClass.SECRET_KEY,
        attributes("obj-" + n),
        new byte[] {(byte) n, (byte) 0xff});
  }

  /** Builds one fixed state: ring A with objects 1 and 2, ring B with object 3. */
  private static void buildFixedState(KeyringStore s, boolean reverse) {
    if (!reverse) {
      s.write(tx -> tx.createCluster(CLUSTER_ID, "digest-cluster"));
      s.write(
          tx ->
              tx.createKeyrings(
                  CLUSTER_ID,
                  List.of(
                      fixedRing(RING_A, "ring-a", Instant.parse("2020-01-01T00:00:00Z")),
                      fixedRing(RING_B, "ring-b", Instant.parse("2020-01-01T00:00:00Z")))));
      s.write(
          tx -> {
            insertFixed(tx, RING_A, 1);
            insertFixed(tx, RING_A, 2);
            insertFixed(tx, RING_B, 3);
            return null;
          });
    } else {
      s.write(
          tx -> {
            tx.putHsmState("member-local", new byte[] {42});
            return tx.createCluster(CLUSTER_ID, "digest-cluster");
          });
      s.write(
          tx -> tx.createKeyrings(CLUSTER_ID, List.of(fixedRing(RING_B, "ring-b", Instant.now()))));
      s.write(
          tx -> {
            insertFixed(tx, RING_B, 3);
            return null;
          });
      s.write(
          tx -> tx.createKeyrings(CLUSTER_ID, List.of(fixedRing(RING_A, "ring-a", Instant.now()))));
      s.write(
          tx -> {
            insertFixed(tx, RING_A, 1);
            return null;
          });
      s.write(
          tx -> {
            insertFixed(tx, RING_A, 2);
            return null;
          });
    }
  }

  /**
   * The digest of {@link #buildFixedState}, computed once: equal on every backend, since the
   * serialization is the store's, not the database's.
   */
  static final String FIXED_STATE_DIGEST =
      "ad19de0c9f134866462911cd605a3dca2da8bfe27ef6f2f85c180961867abe23";

  @Test
  void stateDigest_ofAFixedState_isTheSameConstantOnEveryBackend() {
    buildFixedState(store, false);
    assertEquals(FIXED_STATE_DIGEST, store.stateDigest(), "on " + backend());
  }

  @Test
  void stateDigest_ofTheSameStateReachedInAnotherOrder_isEqual() {
    KeyringStore other = open(freshConfig("other"));
    String empty = store.stateDigest();
    assertEquals(empty, other.stateDigest(), "empty stores agree");
    buildFixedState(store, false);
    buildFixedState(other, true);
    assertEquals(store.stateDigest(), other.stateDigest());
    assertNotEquals(empty, store.stateDigest());
  }

  @Test
  void stateDigest_changesWithAnyChangeToClusterKeyringsOrObjects() {
    buildFixedState(store, false);
    List<String> seen = new ArrayList<>();
    seen.add(store.stateDigest());
    KeyringRecord a = store.keyring(RING_A).orElseThrow();
    ObjectRecord o1 = store.object(RING_A, 1).orElseThrow();
    List<Runnable> changes =
        List.of(
            () ->
                store.write(
                    tx -> tx.createKeyrings(CLUSTER_ID, List.of(newKeyring(CLUSTER_ID, "c")))),
            () -> update(a.withLock(false, 1)),
            () -> update(a.withLock(true, 1)),
            () -> update(a.withLock(true, 1).withKrcoInitialized(true)),
            () -> update(a.withLock(true, 1).withKrcoInitialized(true).withCredential("v$x", true)),
            () ->
                update(a.withLock(true, 1).withKrcoInitialized(true).withCredential("v$x", false)),
            () ->
                updateObject(
                    o1.withAttributesAndBlob(o1.attributes(), new byte[] {1, (byte) 0xfe})),
            () -> updateObject(o1.withAttributesAndBlob(o1.attributes(), null)),
            () ->
                updateObject(
                    o1.withAttributesAndBlob(
                        o1.attributes().with(AttributeType.CKA_SIGN, true), null)),
            () -> insertObject(store, RING_B, "new"),
            () -> store.write(tx -> tx.deleteObject(RING_B, 1)),
            () -> store.write(tx -> tx.deleteKeyring(RING_B)));
    for (Runnable change : changes) {
      change.run();
      String d = store.stateDigest();
      assertFalse(seen.contains(d), "change #" + seen.size() + " left the digest unchanged");
      seen.add(d);
    }
    String last = store.stateDigest();
    store.write(
        tx -> {
          tx.putHsmState("member-local", new byte[] {1});
          return null;
        });
    assertEquals(last, store.stateDigest(), "the HSM state is member-local, not in the digest");
    assertEquals(
        seen.size(), seen.stream().collect(Collectors.toSet()).size(), "all digests distinct");
  }

  // ---------------------------------------------------------------- replication

  /** A store with the same cluster row id as {@code primary}'s, and nothing else. */
  private KeyringStore follower(UUID cluster) {
    KeyringStore s = open(freshConfig("follower-" + opened.size()));
    s.write(tx -> tx.createCluster(cluster, "cluster"));
    return s;
  }

  /** Through the wire form and back, checking it is unchanged. */
  private static LogEntry viaCodec(LogEntry e) {
    LogEntry back = LogCodec.decode(LogCodec.encode(e));
    assertEquals(e, back);
    return back;
  }

  private static void assertSameReplicatedState(KeyringStore a, KeyringStore b, String name) {
    assertEquals(a.stateDigest(), b.stateDigest(), "state digest");
    assertEquals(a.position(), b.position(), "log position");
    assertEquals(a.keyrings(), b.keyrings(), "keyrings with creation times and next handles");
    for (KeyringRecord k : a.keyrings()) {
      assertEquals(
          a.findObjects(k.id(), Attributes.empty()),
          b.findObjects(k.id(), Attributes.empty()),
          "objects with creation times");
    }
    assertEquals(
        a.clusterValue(name).map(HexFormat.of()::formatHex),
        b.clusterValue(name).map(HexFormat.of()::formatHex),
        "cluster value " + name);
  }

  /** Mixes every kind of replicated write on the primary; returns the entries it logged. */
  private static List<LogEntry> mixedWrites(KeyringStore a, UUID cluster, long epoch) {
    List<LogEntry> out = new ArrayList<>();
    KeyringRecord k1 = newKeyring(cluster, "r1");
    KeyringRecord k2 = newKeyring(cluster, "r2");
    out.add(a.writeAsPrimary(epoch, tx -> tx.createKeyrings(cluster, List.of(k1, k2))).entry());
    out.add(
        a.writeAsPrimary(
                epoch,
                tx -> {
                  tx.updateKeyring(tx.lockKeyring(k1.id()).orElseThrow().withLock(false, 2));
                  return null;
                })
            .entry());
    Recorded<ObjectRecord> first =
        a.writeAsPrimary(
            epoch,
            tx ->
                tx.insertObject(
                    k1.id(), UUID.randomUUID(), ObjectClass.SECRET_KEY, attributes("o1"), null));
    out.add(first.entry());
    ObjectRecord o1 = first.result();
    out.add(
        a.writeAsPrimary(
                epoch,
                tx -> {
                  tx.insertObject(
                      k1.id(),
                      UUID.randomUUID(),
                      ObjectClass.SECRET_KEY,
                      attributes("o2"),
                      new byte[] {1, 2, 3});
                  tx.insertObject(
                      k2.id(), UUID.randomUUID(), ObjectClass.DATA, attributes("o3"), new byte[0]);
                  tx.updateObject(
                      o1.withAttributesAndBlob(attributes("o1-renamed"), new byte[] {9}));
                  return null;
                })
            .entry());
    out.add(a.writeAsPrimary(epoch, tx -> tx.deleteObject(o1.keyringId(), o1.handle())).entry());
    out.add(
        a.writeAsPrimary(
                epoch,
                tx -> {
                  tx.putClusterValue("membership", new byte[] {1});
                  tx.putClusterValue("scratch", new byte[] {2});
                  return null;
                })
            .entry());
    out.add(
        a.writeAsPrimary(
                epoch + 1,
                tx -> {
                  tx.deleteKeyring(k2.id());
                  tx.deleteClusterValue("scratch");
                  tx.putClusterValue("membership", new byte[] {1, 1});
                  return null;
                })
            .entry());
    return out;
  }

  @Test
  void position_ofANewStore_isZero_andEpochAtZeroIsZero() {
    assertEquals(LogPosition.ZERO, store.position());
    assertEquals(Optional.of(0L), store.epochAt(0));
    assertEquals(Optional.empty(), store.epochAt(1));
    assertEquals(List.of(), store.entriesAfter(0, 10));
  }

  @Test
  void writeAsPrimary_logsOneEntryPerChangingWrite_withConsecutiveSequences() {
    UUID cluster = createCluster(store);
    KeyringRecord k = newKeyring(cluster, "k");
    Recorded<List<KeyringRecord>> created =
        store.writeAsPrimary(3, tx -> tx.createKeyrings(cluster, List.of(k)));
    assertEquals(new LogPosition(3, 1), created.entry().position());
    assertEquals(1, created.changes().changes().size());
    RowChange.KeyringRow row = (RowChange.KeyringRow) created.changes().changes().get(0);
    assertNull(row.before());
    assertEquals(store.keyring(k.id()).orElseThrow(), row.after());
    assertEquals(1, row.after().nextHandle());

    Recorded<ObjectRecord> inserted =
        store.writeAsPrimary(
            3,
            tx ->
                tx.insertObject(
                    k.id(), UUID.randomUUID(), ObjectClass.DATA, attributes("o"), null));
    assertEquals(new LogPosition(3, 2), inserted.entry().position());
    List<RowChange> changes = inserted.changes().changes();
    assertEquals(2, changes.size(), changes::toString);
    RowChange.KeyringRow bump = (RowChange.KeyringRow) changes.get(0);
    assertEquals(1, bump.before().nextHandle());
    assertEquals(2, bump.after().nextHandle());
    assertEquals(new RowChange.ObjectRow(k.id(), 1, null, inserted.result()), changes.get(1));

    Recorded<Object> nothing =
        store.writeAsPrimary(
            3,
            tx -> {
              tx.lockKeyring(k.id());
              tx.updateKeyring(tx.lockKeyring(k.id()).orElseThrow()); // same values
              return "read only";
            });
    assertEquals("read only", nothing.result());
    assertTrue(nothing.changes().isEmpty());
    assertNull(nothing.entry());

    Recorded<Object> value =
        store.writeAsPrimary(
            4,
            tx -> {
              tx.putClusterValue("v", new byte[] {7});
              return null;
            });
    assertEquals(new LogPosition(4, 3), value.entry().position());
    assertEquals(new LogPosition(4, 3), store.position());
    assertEquals(
        List.of(created.entry(), inserted.entry(), value.entry()), store.entriesAfter(0, 10));
    assertEquals(List.of(value.entry()), store.entriesAfter(2, 10));
    assertEquals(1, store.entriesAfter(0, 1).size());
    assertEquals(Optional.of(3L), store.epochAt(2));
    assertEquals(Optional.of(4L), store.epochAt(3));
    assertEquals(Optional.empty(), store.epochAt(4));
    assertArrayEquals(new byte[] {7}, store.clusterValue("v").orElseThrow());
  }

  @Test
  void lockClusterValue_makesAReadChangeWriteAtomic_underConcurrentWriters() throws Exception {
    store.write(
        tx -> {
          tx.putClusterValue("counter", java.nio.ByteBuffer.allocate(4).putInt(0).array());
          return null;
        });
    int threads = 4;
    int each = 25;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    store.write(
                        tx -> {
                          int v =
                              java.nio.ByteBuffer.wrap(tx.lockClusterValue("counter").orElseThrow())
                                  .getInt();
                          tx.putClusterValue(
                              "counter", java.nio.ByteBuffer.allocate(4).putInt(v + 1).array());
                          return null;
                        });
                  }
                }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(
        threads * each,
        java.nio.ByteBuffer.wrap(store.clusterValue("counter").orElseThrow()).getInt(),
        "no increment lost");
  }

  @Test
  void clusterValuesByPrefix_listsOnlyThoseNames_inOrder_withLikeCharactersTakenLiterally() {
    store.write(
        tx -> {
          tx.putClusterValue("client.b2", new byte[] {2});
          tx.putClusterValue("client.a1", new byte[] {1});
          tx.putClusterValue("clientXa", new byte[] {3});
          tx.putClusterValue("client_a", new byte[] {4});
          tx.putClusterValue("other", new byte[] {5});
          return null;
        });
    var found = store.clusterValues("client.");
    assertEquals(List.of("client.a1", "client.b2"), List.copyOf(found.keySet()));
    assertArrayEquals(new byte[] {1}, found.get("client.a1"));
    assertEquals(List.of("client_a"), List.copyOf(store.clusterValues("client_").keySet()));
    assertEquals(5, store.clusterValues("").size());
    assertEquals(0, store.clusterValues("none.").size());
  }

  @Test
  void writeAsPrimary_refusesMemberLocalWrites_andAnOlderEpoch_loggingNothing() {
    UUID cluster = createCluster(store);
    store.writeAsPrimary(2, tx -> tx.createKeyrings(cluster, List.of(newKeyring(cluster, "k"))));
    String digest = store.stateDigest();
    assertThrows(
        IllegalStateException.class,
        () ->
            store.writeAsPrimary(
                2,
                tx -> {
                  tx.putClusterValue("x", new byte[] {1});
                  tx.putHsmState("x", new byte[] {1});
                  return null;
                }));
    assertThrows(
        IllegalStateException.class,
        () -> store.writeAsPrimary(2, tx -> tx.createCluster(UUID.randomUUID(), "c")));
    assertThrows(
        IllegalStateException.class,
        () -> store.writeAsPrimary(2, tx -> tx.deleteCluster(cluster)));
    assertThrows(
        IllegalStateException.class, () -> store.writeAsPrimary(2, tx -> tx.deleteHsmState("x")));
    assertRefused(
        ResultCode.CKR_FUNCTION_FAILED,
        () ->
            store.writeAsPrimary(
                1,
                tx -> {
                  tx.putClusterValue("x", new byte[] {1});
                  return null;
                }));
    assertEquals(new LogPosition(2, 1), store.position());
    assertEquals(Optional.empty(), store.clusterValue("x"));
    assertEquals(digest, store.stateDigest());
  }

  @Test
  void speculate_changesAndLogsNothing_butRecordsWhatTheSameWriteDoes() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord o1 = insertObject(store, k, "o1");
    ObjectRecord o2 = insertObject(store, k, "o2");
    putValueAsPrimary(store, "v", (byte) 1);
    String digest = store.stateDigest();
    LogPosition position = store.position();
    java.util.function.Function<StoreTransaction, String> work =
        tx -> {
          tx.updateKeyring(tx.lockKeyring(k).orElseThrow().withLock(true, 5));
          tx.updateObject(o1.withAttributesAndBlob(attributes("o1b"), new byte[] {5}));
          tx.deleteObject(k, o2.handle());
          tx.putClusterValue("v", new byte[] {2});
          tx.putClusterValue("w", new byte[] {3});
          // inserted, then deleted: no change but the keyring's next handle
          ObjectRecord gone =
              tx.insertObject(k, UUID.randomUUID(), ObjectClass.DATA, attributes("gone"), null);
          assertEquals(Optional.of(gone), tx.object(k, gone.handle()), "reads own writes");
          tx.deleteObject(k, gone.handle());
          tx.putClusterValue("temp", new byte[] {4});
          tx.deleteClusterValue("temp");
          return "done";
        };
    Recorded<String> speculated = store.speculate(work);
    assertEquals("done", speculated.result());
    assertNull(speculated.entry());
    assertEquals(digest, store.stateDigest());
    assertEquals(position, store.position());
    assertArrayEquals(new byte[] {1}, store.clusterValue("v").orElseThrow());
    assertEquals(Optional.empty(), store.clusterValue("w"));

    List<RowChange> c = speculated.changes().changes();
    assertEquals(5, c.size(), c::toString);
    RowChange.KeyringRow ring = (RowChange.KeyringRow) c.get(0);
    assertEquals(3, ring.before().nextHandle());
    assertEquals(4, ring.after().nextHandle());
    assertTrue(ring.after().locked());
    assertEquals(
        new RowChange.ObjectRow(
            k, o1.handle(), o1, o1.withAttributesAndBlob(attributes("o1b"), new byte[] {5})),
        c.get(1));
    assertEquals(new RowChange.ObjectRow(k, o2.handle(), o2, null), c.get(2));
    assertEquals(new RowChange.ClusterValue("v", new byte[] {1}, new byte[] {2}), c.get(3));
    assertEquals(new RowChange.ClusterValue("w", null, new byte[] {3}), c.get(4));

    Recorded<String> written = store.writeAsPrimary(1, work);
    assertEquals(speculated.changes(), written.changes());
    assertNotEquals(digest, store.stateDigest());
  }

  @Test
  void speculate_aRowChangedByAnotherWriteBetweenItsReadAndItsChange_keepsTheImageRead()
      throws Exception {
    // a follower computes a change from what it read; an entry of the primary applied in between
    // must make that change a conflict, not be overwritten by it
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord o = insertObject(store, k, "o");
    putValueAsPrimary(store, "m", (byte) 1);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Recorded<Void> stale =
          store.speculate(
              tx -> {
                byte[] m = tx.clusterValue("m").orElseThrow();
                ObjectRecord seen = tx.object(k, o.handle()).orElseThrow();
                await(
                    other.submit(
                        () ->
                            store.writeAsPrimary(
                                1,
                                w -> {
                                  w.putClusterValue("m", new byte[] {2});
                                  w.updateObject(
                                      o.withAttributesAndBlob(attributes("other"), null));
                                  return null;
                                })));
                tx.putClusterValue("m", new byte[] {m[0], 9});
                tx.updateObject(seen.withAttributesAndBlob(attributes("mine"), null));
                return null;
              });
      List<RowChange> c = stale.changes().changes();
      assertEquals(new RowChange.ClusterValue("m", new byte[] {1}, new byte[] {1, 9}), c.get(0));
      assertEquals(o, ((RowChange.ObjectRow) c.get(1)).before(), "the object as read");
      assertThrows(
          ReplicationConflictException.class, () -> store.appendAsPrimary(1, stale.changes()));
      assertArrayEquals(new byte[] {2}, store.clusterValue("m").orElseThrow());
      assertEquals(
          o.withAttributesAndBlob(attributes("other"), null),
          store.object(k, o.handle()).orElseThrow());

      // read after the other write: its image is the current one, and the change goes through
      Recorded<Void> fresh =
          store.speculate(
              tx -> {
                byte[] m = tx.clusterValue("m").orElseThrow();
                tx.putClusterValue("m", new byte[] {m[0], 9});
                return null;
              });
      store.appendAsPrimary(1, fresh.changes());
      assertArrayEquals(new byte[] {2, 9}, store.clusterValue("m").orElseThrow());
    } finally {
      other.shutdownNow();
    }
  }

  private static void await(Future<?> f) {
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void createdAndDeletedInOneWrite_isNoChange() {
    UUID cluster = createCluster(store);
    Recorded<Boolean> r =
        store.writeAsPrimary(
            1,
            tx -> {
              KeyringRecord k = newKeyring(cluster, "brief");
              tx.createKeyrings(cluster, List.of(k));
              tx.insertObject(k.id(), UUID.randomUUID(), ObjectClass.DATA, attributes("o"), null);
              return tx.deleteKeyring(k.id());
            });
    assertTrue(r.result());
    assertTrue(r.changes().isEmpty(), r.changes()::toString);
    assertNull(r.entry());
    assertEquals(LogPosition.ZERO, store.position());
  }

  @Test
  void deleteKeyring_recordsADeletionOfEachOfItsObjects() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    ObjectRecord o1 = insertObject(store, k, "o1");
    ObjectRecord o2 = insertObject(store, k, "o2");
    KeyringRecord ring = store.keyring(k).orElseThrow();
    Recorded<Boolean> r = store.writeAsPrimary(1, tx -> tx.deleteKeyring(k));
    assertEquals(
        List.of(
            new RowChange.KeyringRow(k, ring, null),
            new RowChange.ObjectRow(k, o1.handle(), o1, null),
            new RowChange.ObjectRow(k, o2.handle(), o2, null)),
        r.changes().changes());
  }

  @Test
  void entriesOfThePrimary_appliedInOrderOnAFollower_giveTheSameState() {
    UUID cluster = createCluster(store);
    KeyringStore b = follower(cluster);
    List<LogEntry> entries = mixedWrites(store, cluster, 1);
    assertEquals(7, entries.size());
    for (int i = 0; i < entries.size(); i++) {
      assertEquals(i + 1, entries.get(i).position().sequence());
    }
    assertEquals(entries, store.entriesAfter(0, 100));
    for (LogEntry e : entries) {
      b.applyEntry(viaCodec(e));
    }
    assertSameReplicatedState(store, b, "membership");
    assertEquals(Optional.empty(), b.clusterValue("scratch"));
    assertEquals(entries, b.entriesAfter(0, 100));
    assertEquals(Optional.of(2L), b.epochAt(7));
  }

  @Test
  void followerSpeculation_appendedByThePrimary_andAppliedBack_givesTheSameState() {
    UUID cluster = createCluster(store);
    KeyringStore b = follower(cluster);
    for (LogEntry e : mixedWrites(store, cluster, 1)) {
      b.applyEntry(e);
    }
    UUID k = store.keyringByLabel("r1").orElseThrow().id();
    Recorded<ObjectRecord> s =
        b.speculate(
            tx ->
                tx.insertObject(
                    k, UUID.randomUUID(), ObjectClass.DATA, attributes("from-b"), null));
    LogEntry e =
        store.appendAsPrimary(
            2,
            LogCodec.decode(LogCodec.encode(new LogEntry(LogPosition.ZERO, s.changes())))
                .changes());
    assertEquals(new LogPosition(2, 8), e.position());
    assertEquals(Optional.of(s.result()), store.object(k, s.result().handle()));
    b.applyEntry(viaCodec(e));
    assertSameReplicatedState(store, b, "membership");
  }

  @Test
  void twoSpeculationsFromOneBase_theSecondConflicts_andChangesNothing() {
    UUID cluster = createCluster(store);
    KeyringStore b = follower(cluster);
    for (LogEntry e : mixedWrites(store, cluster, 1)) {
      b.applyEntry(e);
    }
    UUID k = store.keyringByLabel("r1").orElseThrow().id();
    java.util.function.Function<StoreTransaction, ObjectRecord> insert =
        tx -> tx.insertObject(k, UUID.randomUUID(), ObjectClass.DATA, attributes("x"), null);
    ChangeSet first = b.speculate(insert).changes();
    ChangeSet second = b.speculate(insert).changes();
    store.appendAsPrimary(2, first);
    String digest = store.stateDigest();
    LogPosition position = store.position();
    ReplicationConflictException e =
        assertThrows(ReplicationConflictException.class, () -> store.appendAsPrimary(2, second));
    assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
    assertEquals("keyring " + k, e.row());
    assertEquals(digest, store.stateDigest());
    assertEquals(position, store.position());
  }

  @Test
  void applyEntry_withAGap_anOlderEpoch_orADivergedRow_isRefused_andReplayIsANoOp() {
    UUID cluster = createCluster(store);
    KeyringStore b = follower(cluster);
    List<LogEntry> entries = mixedWrites(store, cluster, 3);
    b.applyEntry(entries.get(0));
    b.applyEntry(entries.get(1));
    String digest = b.stateDigest();
    LogPosition have = new LogPosition(3, 2);
    assertEquals(have, b.position());

    ReplicationGapException gap =
        assertThrows(ReplicationGapException.class, () -> b.applyEntry(entries.get(3)));
    assertEquals(ResultCode.CKR_DEVICE_ERROR, gap.code());
    assertEquals(have, gap.have());

    // replays of applied entries change nothing
    b.applyEntry(entries.get(0));
    b.applyEntry(entries.get(1));
    assertEquals(have, b.position());
    assertEquals(digest, b.stateDigest());

    // the same sequence from another epoch does not match the log
    LogEntry otherEpoch = new LogEntry(new LogPosition(4, 2), entries.get(1).changes());
    assertEquals(
        have, assertThrows(ReplicationGapException.class, () -> b.applyEntry(otherEpoch)).have());
    LogEntry olderEpoch = new LogEntry(new LogPosition(2, 3), entries.get(2).changes());
    assertThrows(ReplicationGapException.class, () -> b.applyEntry(olderEpoch));

    // a row changed outside the log: the follower has diverged
    UUID k1 = b.keyringByLabel("r1").orElseThrow().id();
    b.write(
        tx -> {
          tx.updateKeyring(tx.lockKeyring(k1).orElseThrow().withLock(true, 9));
          return null;
        });
    String diverged = b.stateDigest();
    ReplicationGapException d =
        assertThrows(ReplicationGapException.class, () -> b.applyEntry(entries.get(2)));
    assertTrue(d.getMessage().contains("diverged"), d.getMessage());
    assertEquals(have, d.have());
    assertEquals(diverged, b.stateDigest());
    assertEquals(have, b.position());
    assertEquals(2, b.entriesAfter(0, 100).size());
  }

  @Test
  void snapshot_installedOnAnotherStore_givesTheSameStateAndPosition_andEntriesFollowIt() {
    UUID cluster = createCluster(store);
    mixedWrites(store, cluster, 1);
    KeyringStore c = open(freshConfig("third"));
    // whatever c held is replaced; its HSM state is kept
    c.write(
        tx -> {
          tx.putHsmState("member-key", new byte[] {42});
          tx.createCluster(UUID.randomUUID(), "other");
          return null;
        });
    UUID otherCluster = c.cluster().orElseThrow().id();
    c.writeAsPrimary(
        9,
        tx -> {
          tx.createKeyrings(otherCluster, List.of(newKeyring(otherCluster, "r1")));
          tx.putClusterValue("stale", new byte[] {1});
          return null;
        });

    Snapshot s = store.snapshot();
    assertEquals(store.position(), s.position());
    Snapshot wire = LogCodec.decodeSnapshot(LogCodec.encode(s));
    assertEquals(s.keyrings(), wire.keyrings());
    assertEquals(s.objects(), wire.objects());
    assertEquals(s.cluster(), wire.cluster());
    c.installSnapshot(wire);

    assertSameReplicatedState(store, c, "membership");
    assertEquals(store.cluster(), c.cluster());
    assertEquals(Optional.empty(), c.clusterValue("stale"));
    assertArrayEquals(new byte[] {42}, c.hsmState("member-key").orElseThrow());
    assertEquals(List.of(), c.entriesAfter(0, 10));
    assertEquals(Optional.of(s.position().epoch()), c.epochAt(s.position().sequence()));

    UUID k1 = store.keyringByLabel("r1").orElseThrow().id();
    LogEntry next =
        store
            .writeAsPrimary(
                2,
                tx ->
                    tx.insertObject(
                        k1,
                        UUID.randomUUID(),
                        ObjectClass.DATA,
                        attributes("after-snapshot"),
                        null))
            .entry();
    c.applyEntry(viaCodec(next));
    assertSameReplicatedState(store, c, "membership");
  }

  @Test
  void compactLogThrough_dropsTheEntries_makesTheLastOneTheBase_andKeepsThePosition() {
    UUID cluster = createCluster(store);
    List<LogEntry> entries = mixedWrites(store, cluster, 1);
    assertTrue(entries.size() >= 3, "entries: " + entries.size());
    LogPosition last = store.position();
    LogPosition cut = entries.get(1).position();

    assertEquals(2, store.compactLogThrough(cut.sequence()));

    assertEquals(last, store.position());
    assertEquals(cut, store.logBase());
    assertEquals(Optional.of(cut.epoch()), store.epochAt(cut.sequence()));
    assertEquals(Optional.empty(), store.epochAt(entries.get(0).position().sequence()));
    assertEquals(entries.subList(2, entries.size()).size(), store.entriesAfter(0, 100).size());
    assertEquals(
        entries.get(2).position(), store.entriesAfter(cut.sequence(), 1).get(0).position());
    assertEquals(0, store.compactLogThrough(cut.sequence()), "already compacted");
    assertEquals(0, store.compactLogThrough(last.sequence() + 5), "not logged yet");
    assertEquals(cut, store.logBase());

    // a snapshot of a compacted store starts a copy at the same position
    KeyringStore c = open(freshConfig("compacted-copy"));
    c.installSnapshot(LogCodec.decodeSnapshot(LogCodec.encode(store.snapshot())));
    assertSameReplicatedState(store, c, "membership");
    assertEquals(last, c.position());
  }

  @Test
  void appendAsPrimary_beyond256Objects_isRefusedLikeInsertObject_andChangesNothing() {
    UUID cluster = createCluster(store);
    UUID k = createKeyring(store, cluster, "k");
    store.write(
        tx -> {
          for (int i = 0; i < OBJECT_LIMIT; i++) {
            tx.insertObject(k, UUID.randomUUID(), ObjectClass.DATA, attributes("o" + i), null);
          }
          return null;
        });
    putValueAsPrimary(store, "v", (byte) 1);
    KeyringRecord ring = store.keyring(k).orElseThrow();
    long handle = ring.nextHandle();
    KeyringRecord bumped =
        new KeyringRecord(
            ring.id(),
            ring.clusterId(),
            ring.label(),
            ring.credentialVerifier(),
            ring.passwordChangeRequired(),
            ring.krcoInitialized(),
            ring.locked(),
            ring.failedLogins(),
            ring.createdAt(),
            handle + 1);
    ObjectRecord extra =
        new ObjectRecord(
            k,
            handle,
            UUID.randomUUID(),
            ObjectClass.DATA,
            attributes("extra"),
            null,
            Instant.now());
    // the keyring's change and the cluster value come first: they are undone with the refusal
    ChangeSet changes =
        new ChangeSet(
            List.of(
                new RowChange.KeyringRow(k, ring, bumped),
                new RowChange.ClusterValue("v", new byte[] {1}, new byte[] {2}),
                new RowChange.ObjectRow(k, handle, null, extra)));
    String digest = store.stateDigest();
    LogPosition position = store.position();
    assertRefused(ResultCode.CKR_DEVICE_MEMORY, () -> store.appendAsPrimary(1, changes));
    assertEquals(digest, store.stateDigest());
    assertEquals(position, store.position());
    assertEquals(ring, store.keyring(k).orElseThrow());
    assertArrayEquals(new byte[] {1}, store.clusterValue("v").orElseThrow());
    assertEquals(1, store.entriesAfter(0, 10).size());
  }

  @Test
  void appendAsPrimary_beyond3500Keyrings_orWithAUsedLabel_isRefusedWithTheNormalCodes() {
    UUID cluster = createCluster(store);
    KeyringStore b = follower(cluster);
    ChangeSet oneMore =
        b.speculate(tx -> tx.createKeyrings(cluster, List.of(newKeyring(cluster, "extra"))))
            .changes();
    ChangeSet usedLabel =
        b.speculate(tx -> tx.createKeyrings(cluster, List.of(newKeyring(cluster, "k-7"))))
            .changes();
    createKeyrings(store, cluster, "k", KEYRING_LIMIT);
    String digest = store.stateDigest();
    assertRefused(ResultCode.CKR_ARGUMENTS_BAD, () -> store.appendAsPrimary(1, usedLabel));
    assertRefused(ResultCode.CKR_DEVICE_MEMORY, () -> store.appendAsPrimary(1, oneMore));
    assertEquals(digest, store.stateDigest());
    assertEquals(KEYRING_LIMIT, store.keyringCount());
    assertEquals(LogPosition.ZERO, store.position());
  }

  private void update(KeyringRecord k) {
    store.write(
        tx -> {
          tx.updateKeyring(k);
          return null;
        });
  }

  private void updateObject(ObjectRecord o) {
    store.write(
        tx -> {
          tx.updateObject(o);
          return null;
        });
  }
}
