package dev.keyring.sim.boundary;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/**
 * The boundary's cache of unwrapped keys (bounded, least-useful evicted first), so the hot path
 * does not pay an unwrap and a parse per operation.
 *
 * <p>Every key that leaves the cache — evicted for room, replaced, invalidated because its object
 * changed or was destroyed, dropped with its keyring or with the SMK — is retired through a removal
 * listener and wiped as soon as no operation is using it (see {@link LoadedKey}): its PKCS#8 or raw
 * secret bytes are overwritten with zeros, the boundary's own secret key objects are zeroed, and
 * engine key objects that implement {@code Destroyable} are destroyed.
 *
 * <p>What cannot be zeroed: the JDK's private key objects (SunRsaSign, SunEC) and BouncyCastle's do
 * not support {@code destroy()}; their copies of the key (big integers, encoded bytes) stay on the
 * heap until the garbage collector takes them. ACCP's key objects are destroyed, which frees their
 * native copies. Engines also copy a secret key while a cipher or MAC runs (its key schedule);
 * those copies belong to the engine instance and go with it.
 *
 * <p>Removal listeners run on {@code executor}; by default on the common pool, after the entry has
 * left the cache.
 */
final class UnwrappedKeyCache {
  private record CacheKey(UUID keyringId, long handle) {}

  private final Cache<CacheKey, LoadedKey> cache;

  /** A cache of at most {@code maxSize} keys whose removal listener runs on the common pool. */
  UnwrappedKeyCache(int maxSize) {
    this(maxSize, ForkJoinPool.commonPool());
  }

  /**
   * A cache of at most {@code maxSize} keys whose maintenance and listener run on {@code executor}.
   */
  UnwrappedKeyCache(int maxSize, Executor executor) {
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(maxSize)
            .executor(executor)
            .removalListener(UnwrappedKeyCache::onRemoval)
            .recordStats()
            .build();
  }

  private static void onRemoval(CacheKey key, LoadedKey value, RemovalCause cause) {
    if (value != null) {
      value.retire();
    }
  }

  /**
   * The cached key of object {@code handle}, or a new one from {@code loader} which the cache then
   * keeps; either way one use of it is started, to be ended by {@link LoadedKey#close()}.
   */
  LoadedKey use(UUID keyringId, long handle, Supplier<LoadedKey> loader) {
    CacheKey ck = new CacheKey(keyringId, handle);
    LoadedKey cached = cache.getIfPresent(ck);
    if (cached != null && cached.tryUse()) {
      return cached;
    }
    LoadedKey loaded = loader.get();
    loaded.tryUse(); // a new key is not retired: the use starts before the cache may evict it
    cache.put(ck, loaded);
    return loaded;
  }

  /** Keeps a key just made (generated, imported, derived); the cache owns it from now on. */
  void add(LoadedKey key) {
    cache.put(new CacheKey(key.record.keyringId(), key.record.handle()), key);
  }

  /** Drops one object's key. */
  void invalidate(UUID keyringId, long handle) {
    cache.invalidate(new CacheKey(keyringId, handle));
  }

  /** Drops every key of a keyring. */
  void invalidateKeyring(UUID keyringId) {
    cache.asMap().keySet().removeIf(k -> k.keyringId().equals(keyringId));
  }

  /** Drops every key. */
  void invalidateAll() {
    cache.invalidateAll();
  }

  /** Runs pending maintenance (evictions and their removal listeners) now. */
  void cleanUp() {
    cache.cleanUp();
  }

  CacheStats stats() {
    var s = cache.stats();
    return new CacheStats(s.hitCount(), s.missCount(), cache.estimatedSize());
  }

  @Override
  public String toString() {
    return "UnwrappedKeyCache[" + cache.estimatedSize() + " keys]";
  }
}
