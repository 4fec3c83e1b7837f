package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.store.ObjectRecord;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

/**
 * Keys that leave the cache are wiped: evicted for room, invalidated one by one, with their keyring
 * or all at once; a key still in use is wiped when its last use ends. The removal listener runs on
 * the calling thread ({@code Runnable::run}), so every check is deterministic.
 */
class UnwrappedKeyCacheTest {
  private static final UUID KEYRING = UUID.randomUUID();

  private static LoadedKey aesKey(UUID keyringId, long handle) {
    ObjectRecord rec =
        new ObjectRecord(
            keyringId,
            handle,
            UUID.randomUUID(),
            ObjectClass.SECRET_KEY,
            Attributes.builder().objectClass(ObjectClass.SECRET_KEY).keyType(KeyType.AES).build(),
            new byte[] {1},
            Instant.now());
    byte[] raw = new byte[32];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) (i + 1);
    }
    return new LoadedKey(rec, SecretBytes.adopt(raw));
  }

  private static UnwrappedKeyCache cache(int size) {
    return new UnwrappedKeyCache(size, Runnable::run);
  }

  @Test
  void evictedForRoom_isWiped_itsSecretBytesAndItsSecretKeyObject() {
    UnwrappedKeyCache cache = cache(1);
    LoadedKey first = aesKey(KEYRING, 1);
    SecretKey firstKey = first.secretKey("AES");
    cache.add(first);
    LoadedKey second = aesKey(KEYRING, 2);
    cache.add(second);
    cache.cleanUp();

    assertEquals(1, cache.stats().size());
    assertTrue(first.isWiped(), "the evicted key's secret bytes are zeroed");
    assertTrue(first.secret().isDestroyed());
    assertTrue(firstKey.isDestroyed(), "its secret key object is destroyed");
    assertThrows(IllegalStateException.class, firstKey::getEncoded);
    assertFalse(second.isWiped(), "the key kept in the cache is intact");
    assertEquals(32, second.secretKey("AES").getEncoded().length);
  }

  @Test
  void keyInUse_whenInvalidated_isWipedOnlyWhenItsLastUseEnds() {
    UnwrappedKeyCache cache = cache(10);
    LoadedKey k = cache.use(KEYRING, 1, () -> aesKey(KEYRING, 1));
    LoadedKey again = cache.use(KEYRING, 1, () -> aesKey(KEYRING, 1));
    assertSame(k, again, "the second use is served from the cache");

    cache.invalidate(KEYRING, 1);
    assertFalse(k.isWiped(), "two uses still run");
    again.close();
    assertFalse(k.isWiped(), "one use still runs");
    assertEquals(32, k.secretKey("AES").getEncoded().length);
    k.close();
    assertTrue(k.isWiped(), "wiped when the last use ended");
  }

  @Test
  void retiredKey_startsNoNewUse_theNextUseLoadsAFreshKey() {
    UnwrappedKeyCache cache = cache(10);
    LoadedKey k = cache.use(KEYRING, 1, () -> aesKey(KEYRING, 1));
    cache.invalidate(KEYRING, 1);
    assertFalse(k.tryUse(), "a retired key takes no new use");
    k.close();

    AtomicInteger loads = new AtomicInteger();
    try (LoadedKey fresh =
        cache.use(
            KEYRING,
            1,
            () -> {
              loads.incrementAndGet();
              return aesKey(KEYRING, 1);
            })) {
      assertEquals(1, loads.get());
      assertFalse(fresh.isWiped());
    }
  }

  @Test
  void invalidateKeyring_wipesThatKeyringsKeys_only() {
    UnwrappedKeyCache cache = cache(10);
    UUID other = UUID.randomUUID();
    LoadedKey a = aesKey(KEYRING, 1);
    LoadedKey b = aesKey(KEYRING, 2);
    LoadedKey c = aesKey(other, 1);
    cache.add(a);
    cache.add(b);
    cache.add(c);

    cache.invalidateKeyring(KEYRING);
    assertTrue(a.isWiped());
    assertTrue(b.isWiped());
    assertFalse(c.isWiped());
    assertEquals(1, cache.stats().size());

    cache.invalidateAll();
    assertTrue(c.isWiped());
    assertEquals(0, cache.stats().size());
  }

  @Test
  void keyAddedToACacheOfSizeZero_isWipedAtOnce_butAKeyInUseLastsItsUse() {
    UnwrappedKeyCache cache = cache(0);
    LoadedKey added = aesKey(KEYRING, 1);
    cache.add(added);
    cache.cleanUp();
    assertTrue(added.isWiped());

    LoadedKey used = cache.use(KEYRING, 2, () -> aesKey(KEYRING, 2));
    cache.cleanUp();
    assertFalse(used.isWiped(), "evicted while in use: still readable");
    assertEquals(32, used.secretKey("AES").getEncoded().length);
    used.close();
    assertTrue(used.isWiped());
  }
}
