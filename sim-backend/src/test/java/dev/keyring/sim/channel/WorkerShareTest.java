package dev.keyring.sim.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** Turns at the shared workers: in order per connection, fair between connections. */
class WorkerShareTest {
  /** The workers' queue, run by hand one turn at a time. */
  private static final class Workers implements Executor {
    final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    boolean stopped;

    @Override
    public void execute(Runnable r) {
      if (stopped) {
        throw new RejectedExecutionException("stopping");
      }
      queue.addLast(r);
    }

    void runAll() {
      Runnable r;
      while ((r = queue.pollFirst()) != null) {
        r.run();
      }
    }
  }

  @Test
  void anotherConnectionsRequest_waitsBehindAFewTurns_notBehindEverythingSentBefore() {
    Workers workers = new Workers();
    List<String> served = new ArrayList<>();
    WorkerShare busy = new WorkerShare(workers, 2);
    WorkerShare other = new WorkerShare(workers, 2);
    for (int i = 1; i <= 100; i++) {
      String name = "busy-" + i;
      busy.submit(() -> served.add(name));
    }
    other.submit(() -> served.add("other"));
    assertEquals(3, workers.queue.size(), "two turns of the busy connection, one of the other");
    assertEquals(
        100, busy.waiting(), "requests wait in their connection's queue, turns in the workers'");
    workers.runAll();
    assertEquals(101, served.size(), "every request served once");
    assertEquals("other", served.get(2), "served third, not 101st");
    List<String> busyOrder = new ArrayList<>(served);
    busyOrder.remove("other");
    for (int i = 0; i < 100; i++) {
      assertEquals("busy-" + (i + 1), busyOrder.get(i), "a connection's requests in order");
    }
    assertEquals(0, busy.waiting());
  }

  @Test
  void aConnectionAlone_hasAsManyWorkersAsItHasTurns() {
    Workers workers = new Workers();
    WorkerShare alone = new WorkerShare(workers, 4);
    int[] served = new int[1];
    for (int i = 0; i < 10; i++) {
      alone.submit(() -> served[0]++);
    }
    assertEquals(4, workers.queue.size());
    workers.runAll();
    assertEquals(10, served[0]);
    alone.submit(() -> served[0]++);
    assertEquals(1, workers.queue.size(), "turns given back once nothing waited");
    workers.runAll();
    assertEquals(11, served[0]);
  }

  @Test
  void workersThatTakeNothingMore_refuseTheRequest_andKeepNothing() {
    Workers workers = new Workers();
    WorkerShare share = new WorkerShare(workers, 2);
    workers.stopped = true;
    assertThrows(RejectedExecutionException.class, () -> share.submit(() -> {}));
    assertEquals(0, share.waiting());
    workers.stopped = false;
    int[] served = new int[1];
    share.submit(() -> served[0]++);
    workers.runAll();
    assertEquals(1, served[0], "its turns were given back");
  }

  @Test
  void noTurns_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> new WorkerShare(Runnable::run, 0));
  }
}
