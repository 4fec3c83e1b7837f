package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.ReplicatedWriter;
import dev.keyring.store.StoreConfig;
import dev.keyring.store.StoreTransaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change of attributes is made from the object as this member holds it; when another member's
 * write changed the object in between (here: just before this member's write reaches the store),
 * the change is made again from the new object rather than undo the other one.
 */
class ConcurrentAttributeChangeTest {
  private static final byte[] DATA = "attributes".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private TestKeyring kr;
  // run just before the next replicated writes, as many times as it says, then nothing
  private Runnable otherWrite = () -> {};
  private final AtomicInteger otherWrites = new AtomicInteger();

  @BeforeEach
  void open() {
    KeyringStore store = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")));
    ReplicatedWriter local = ReplicatedWriter.local(store);
    ReplicatedWriter writer =
        new ReplicatedWriter() {
          @Override
          public <T> T write(Function<StoreTransaction, T> work) {
            if (otherWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              otherWrite.run();
            }
            return local.write(work);
          }
        };
    kr =
        new TestKeyring(
            store,
            BoundaryConfig.builder().deviceKeyFile(dir.resolve("hsm/device.key")).build(),
            writer);
  }

  @AfterEach
  void close() {
    kr.close();
  }

  @Test
  void anotherMembersChangeInBetween_isKept_andTheKeyStillWorks() {
    ObjectRecord key =
        kr.boundary.generateKey(
            kr.keyringId,
            KeyGenParams.aes(256),
            Attributes.builder().label("before").flag(AttributeType.CKA_DECRYPT, true).build());
    byte[] sealed =
        kr.boundary.encrypt(
            kr.keyringId, key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    otherWrite = () -> changeInStore(key.handle(), Attributes.builder().id(new byte[] {7}).build());
    otherWrites.set(1);

    kr.boundary.setAttributes(
        kr.keyringId, key.handle(), Attributes.builder().label("mine").build());

    Attributes now = kr.store.object(kr.keyringId, key.handle()).orElseThrow().attributes();
    assertEquals("mine", now.label().orElseThrow());
    assertArrayEquals(new byte[] {7}, now.bytes(AttributeType.CKA_ID).orElseThrow(), "theirs kept");
    assertArrayEquals(
        DATA,
        kr.boundary.decrypt(
            kr.keyringId, key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, sealed),
        "the blob sealed again over the attributes both changes made");
  }

  @Test
  void anObjectChangedAtEveryAttempt_isRefused_andKeepsTheOtherChanges() {
    ObjectRecord data =
        kr.boundary.createObject(
            kr.keyringId,
            Attributes.builder()
                .objectClass(ObjectClass.DATA)
                .label("before")
                .set(AttributeType.CKA_VALUE, new byte[] {1})
                .build());
    AtomicInteger n = new AtomicInteger();
    otherWrite =
        () ->
            changeInStore(
                data.handle(),
                Attributes.builder().id(new byte[] {(byte) n.incrementAndGet()}).build());
    otherWrites.set(Integer.MAX_VALUE);

    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                kr.boundary.setAttributes(
                    kr.keyringId, data.handle(), Attributes.builder().label("mine").build()));
    assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
    assertTrue(e.getMessage().contains("nothing was changed: try again"), e.getMessage());
    Attributes now = kr.store.object(kr.keyringId, data.handle()).orElseThrow().attributes();
    assertEquals("before", now.label().orElseThrow());
    assertArrayEquals(
        new byte[] {(byte) n.get()},
        now.bytes(AttributeType.CKA_ID).orElseThrow(),
        "the last other");
  }

  /** Another member's change of the object, as the store receives it (blob sealed again by it). */
  private void changeInStore(long handle, Attributes changes) {
    // the other member's boundary is this one over the same store: its writes go straight in
    int left = otherWrites.getAndSet(0);
    try {
      kr.boundary.evictObject(kr.keyringId, handle);
      kr.boundary.setAttributes(kr.keyringId, handle, changes);
    } finally {
      otherWrites.set(left);
    }
  }
}
