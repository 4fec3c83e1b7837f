package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The membership a member holds in view (what it checks a peer's certificate against, what it tells
 * a joiner) never goes back behind a change it made: membership changes written side by side on the
 * primary each leave the view at their version or a newer one, and the last leaves it at the
 * store's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class MembershipViewTest {
  private static final int THREADS = 8;
  private static final int CHANGES = 60;

  @TempDir Path dir;

  @Test
  void changesWrittenSideBySide_neverLeaveAnOlderMembershipInView() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (InProcessCluster c = InProcessCluster.start(dir, 1)) {
      ClusterNode primary = c.node(0);
      long first = primary.membership().version();
      CyclicBarrier start = new CyclicBarrier(THREADS);
      AtomicInteger behind = new AtomicInteger();
      List<String> seen = new ArrayList<>();
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        writers.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    start.await();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  for (int i = 0; i < CHANGES; i++) {
                    Membership written = primary.changeMembership(m -> m.next(list -> list));
                    long inView = primary.membership().version();
                    if (inView < written.version()) {
                      behind.incrementAndGet();
                      synchronized (seen) {
                        seen.add(written.version() + " written, " + inView + " in view");
                      }
                    }
                  }
                },
                pool));
      }
      for (CompletableFuture<Void> w : writers) {
        w.get();
      }
      assertEquals(0, behind.get(), "the view went back behind a change just made: " + seen);
      long stored =
          Membership.decode(c.store(0).clusterValue(Membership.KEY).orElseThrow()).version();
      assertEquals(first + (long) THREADS * CHANGES, stored, "every change was written");
      assertEquals(stored, primary.membership().version(), "the view ends at the store's");
      assertTrue(primary.isPrimary());
    } finally {
      pool.shutdownNow();
    }
  }
}
