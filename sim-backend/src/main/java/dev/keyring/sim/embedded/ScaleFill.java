package dev.keyring.sim.embedded;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.sim.Appliance;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ReplicatedWriter;
import dev.keyring.store.StoreTransaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Fills the keyrings of a stopped member's store with real keys, fast: for scale tests and
 * benchmarks (a full cluster is 3,500 keyrings of 256 objects, 896,000 objects). Every object is
 * real: each keyring gets {@code pairs} EC P-256 key pairs generated inside the boundary ({@link
 * dev.keyring.sim.boundary.Boundary#generateKeyPairs}), each private key sealed in its own SKS blob
 * over its own object id and attributes; nothing is copied from one object to another. Both halves
 * of pair {@code i} carry the label {@link #label label(i)}.
 *
 * <p>What makes it fast: one transaction and one batch of inserts per keyring, keyrings filled on
 * {@code threads} threads at once, and the objects written as member-local transactions of the
 * store, not as entries of the cluster log (a keyring's 256 objects would be one log entry of some
 * 150 KB). So fill a member that is not running and that is the only member of its cluster: a
 * member that joins later copies the whole state, the filled objects with it; a member that was
 * already in the cluster would not receive them.
 */
public final class ScaleFill {
  private ScaleFill() {}

  /** What a fill did. */
  public record Result(int keyrings, int objects, long millis) {}

  /** The label of pair {@code i} of every filled keyring: {@code key-000}, {@code key-001}, ... */
  public static String label(int i) {
    return String.format(Locale.ROOT, "key-%03d", i);
  }

  /**
   * Generates {@code pairs} EC P-256 key pairs (1 to 128) in each of {@code keyrings}, one
   * transaction per keyring, on {@code threads} threads (1 to 16). For an appliance opened on a
   * stopped member's data directory (no cluster service running): its writes go to its store
   * directly for the duration (see the class comment), and are local writes as the primary again
   * after.
   *
   * @param progress told the number of keyrings filled so far, from the filling threads (may be
   *     null)
   * @throws IllegalArgumentException for a count out of range
   * @throws dev.keyring.protocol.HsmException when a keyring does not exist, would hold more than
   *     256 objects, or the store fails (keyrings filled before stay filled)
   */
  public static Result fill(
      Appliance appliance, List<UUID> keyrings, int pairs, int threads, IntConsumer progress)
      throws InterruptedException {
    Objects.requireNonNull(appliance, "appliance");
    Objects.requireNonNull(keyrings, "keyrings");
    if (pairs < 1 || pairs > 128) {
      throw new IllegalArgumentException("pairs must be 1 to 128, got " + pairs);
    }
    if (threads < 1 || threads > 16) {
      throw new IllegalArgumentException("threads must be 1 to 16, got " + threads);
    }
    List<Attributes> templates = new ArrayList<>(pairs);
    for (int i = 0; i < pairs; i++) {
      templates.add(Attributes.builder().label(label(i)).build());
    }
    long t0 = System.nanoTime();
    appliance.replicateThrough(direct(appliance.store()));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger done = new AtomicInteger();
    try {
      List<Future<?>> work = new ArrayList<>();
      for (UUID k : keyrings) {
        work.add(
            pool.submit(
                () -> {
                  appliance.boundary().generateKeyPairs(k, KeyGenParams.ec(Curve.P256), templates);
                  int n = done.incrementAndGet();
                  if (progress != null) {
                    progress.accept(n);
                  }
                }));
      }
      for (Future<?> f : work) {
        f.get();
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("filling the keyrings failed", e.getCause());
    } finally {
      pool.shutdownNow();
      appliance.replicateThrough(null); // local writes as the primary again
    }
    return new Result(
        keyrings.size(), 2 * pairs * keyrings.size(), (System.nanoTime() - t0) / 1_000_000);
  }

  /** Writes straight to the store, one transaction each, without a log entry. */
  private static ReplicatedWriter direct(KeyringStore store) {
    return new ReplicatedWriter() {
      @Override
      public <T> T write(Function<StoreTransaction, T> work) {
        return store.write(work);
      }
    };
  }
}
