package dev.keyring.sim.channel;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One connection's requests on their way to the member's shared workers, handed over fairly: the
 * connection keeps its requests in its own queue, in the order read, and has at most {@code turns}
 * turns in the workers' queue at once. A worker serving a turn serves the connection's next request
 * and, when more wait, queues a new turn behind every other connection's. So a request of one
 * client waits behind at most a few turns of each busy connection, not behind everything another
 * client has sent: a client that keeps hundreds of slow requests under way on each of its
 * connections no longer delays the others by hundreds of requests. A connection alone still has
 * every worker (with {@code turns} at least the workers' number). Thread-safe.
 */
final class WorkerShare {
  private final Executor workers;
  private final int turns;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>(); // guarded by this
  private int queued; // turns in the workers' queue or being served; guarded by this

  WorkerShare(Executor workers, int turns) {
    if (turns < 1) {
      throw new IllegalArgumentException("a connection needs at least one turn, got " + turns);
    }
    this.workers = workers;
    this.turns = turns;
  }

  /**
   * Queues {@code request} to be served by a worker.
   *
   * @throws RejectedExecutionException when the workers take nothing more (the member is stopping)
   *     and {@code request} will not be served
   */
  void submit(Runnable request) {
    boolean turn;
    synchronized (this) {
      waiting.addLast(request);
      turn = queued < turns;
      if (turn) {
        queued++;
      }
    }
    if (turn) {
      try {
        workers.execute(this::serveOne);
      } catch (RejectedExecutionException e) {
        synchronized (this) {
          queued--;
          if (!waiting.removeLastOccurrence(request)) {
            return; // a turn under way took it: it is served
          }
        }
        throw e;
      }
    }
  }

  /** Requests waiting for a turn now. */
  synchronized int waiting() {
    return waiting.size();
  }

  private void serveOne() {
    Runnable next;
    synchronized (this) {
      next = waiting.pollFirst();
      if (next == null) {
        queued--;
        return;
      }
    }
    try {
      next.run();
    } finally {
      boolean again;
      synchronized (this) {
        again = !waiting.isEmpty();
        if (!again) {
          queued--;
        }
      }
      if (again) {
        try {
          workers.execute(this::serveOne); // behind the turns of the other connections
        } catch (RejectedExecutionException stopping) {
          synchronized (this) {
            queued--; // the member is stopping: what waits ends with the connection
          }
        }
      }
    }
  }
}
