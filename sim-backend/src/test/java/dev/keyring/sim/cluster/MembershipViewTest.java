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
import java.util.concurrent.atomic.AtomicBoolean;
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

  /**
   * A follower's change is made from the membership it read; an entry of the primary applied on it
   * between that read and its write used to let the change through with the newer membership as its
   * before-image, undoing the primary's change (a join lost while another member reported its
   * address). Changes from both members side by side are now all kept.
   */
  @Test
  void changesFromThePrimaryAndAFollowerSideBySide_areAllKept() throws Exception {
    int perMember = 40;
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.node(1).pollPrimary(0); // member 1 is live on the primary
      long first = c.node(0).membership().version();
      AtomicBoolean done = new AtomicBoolean();
      CompletableFuture<Void> poller =
          CompletableFuture.runAsync(
              () -> {
                while (!done.get()) {
                  try {
                    c.node(1).pollPrimary(0); // the ticker is the test's: no wait of its own
                    Thread.sleep(1);
                  } catch (java.io.IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                }
              },
              pool);
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int member = 0; member < 2; member++) {
        ClusterNode via = c.node(member);
        writers.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < perMember; i++) {
                    via.changeMembership(m -> m.next(list -> list));
                  }
                },
                pool));
      }
      try {
        for (CompletableFuture<Void> w : writers) {
          w.get();
        }
      } finally {
        done.set(true);
        poller.get();
      }
      long stored =
          Membership.decode(c.store(0).clusterValue(Membership.KEY).orElseThrow()).version();
      assertEquals(first + 2L * perMember, stored, "a change undid another");
    } finally {
      pool.shutdownNow();
    }
  }

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
