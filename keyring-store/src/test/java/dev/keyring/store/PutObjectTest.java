package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StoreTransaction#putObject}: an object row put exactly, as a restore does. */
class PutObjectTest {
  @TempDir Path dir;
  KeyringStore store;
  UUID cluster;
  UUID keyring;

  @BeforeEach
  void setUp() {
    store = KeyringStore.open(StoreConfig.h2File(dir.resolve("db")));
    cluster = KeyringStoreContract.createCluster(store);
    keyring = KeyringStoreContract.createKeyring(store, cluster, "ring");
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  ObjectRecord object(long handle, UUID id, String label) {
    return new ObjectRecord(
        keyring,
        handle,
        id,
        ObjectClass.DATA,
        Attributes.builder().label(label).build(),
        null,
        Instant.now().truncatedTo(ChronoUnit.MICROS));
  }

  @Test
  void putObject_atAHandle_keepsItExactly_andRaisesTheNextHandle_andIsReplicated() {
    ObjectRecord o = object(7, UUID.randomUUID(), "seven");
    Recorded<Void> r =
        store.writeAsPrimary(
            1,
            tx -> {
              tx.putObject(o);
              return null;
            });
    assertEquals(o, store.object(keyring, 7).orElseThrow());
    assertEquals(8, store.keyring(keyring).orElseThrow().nextHandle());
    assertEquals(2, r.changes().changes().size(), "the object row and the keyring's next handle");

    ObjectRecord replaced = object(7, o.objectId(), "seven again");
    store.write(
        tx -> {
          tx.putObject(replaced);
          return null;
        });
    assertEquals(replaced, store.object(keyring, 7).orElseThrow());
    assertEquals(8, store.keyring(keyring).orElseThrow().nextHandle(), "not lowered");
    ObjectRecord next =
        store.write(
            tx ->
                tx.insertObject(
                    keyring, UUID.randomUUID(), ObjectClass.DATA, o.attributes(), null));
    assertEquals(8, next.handle());
  }

  @Test
  void putObject_refusesAnIdUsedElsewhere_andAMissingKeyring_changingNothing() {
    ObjectRecord o = object(3, UUID.randomUUID(), "three");
    store.write(
        tx -> {
          tx.putObject(o);
          return null;
        });
    String before = store.stateDigest();
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                store.write(
                    tx -> {
                      tx.putObject(object(4, o.objectId(), "four"));
                      return null;
                    }));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code());
    ObjectRecord orphan =
        new ObjectRecord(
            UUID.randomUUID(),
            1,
            UUID.randomUUID(),
            ObjectClass.DATA,
            o.attributes(),
            null,
            o.createdAt());
    HsmException missing =
        assertThrows(
            HsmException.class,
            () ->
                store.write(
                    tx -> {
                      tx.putObject(orphan);
                      return null;
                    }));
    assertEquals(ResultCode.CKR_SLOT_ID_INVALID, missing.code());
    assertEquals(before, store.stateDigest());
    assertTrue(store.object(keyring, 4).isEmpty());
  }
}
