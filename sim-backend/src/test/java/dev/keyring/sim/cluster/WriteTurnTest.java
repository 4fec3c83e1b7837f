package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.store.ChangeSet;
import dev.keyring.store.LogCodec;
import dev.keyring.store.LogEntry;
import dev.keyring.store.LogPosition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write that a follower forwards and that keeps meeting the primary's own writes gets its turn:
 * after its second conflict in a row, the primary's next write waits until the follower's next
 * submission has been decided, which then goes through.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class WriteTurnTest {
  private static final String FOLLOWER = "member-1";

  @TempDir Path dir;

  @Test
  void aForwardedWriteThatConflictsTwice_goesBeforeThePrimarysNextWrite() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      ChangeSet stale = staleChange(c);

      assertEquals("conflict", submit(c, stale, 1));
      // one conflict gives no turn: the primary's next write is made at once
      c.putAcknowledged(0, "k", "2");
      assertEquals("conflict", submit(c, stale, 2)); // the second: member 1 has the turn

      Thread primaryWrite = new Thread(() -> c.put(0, "k", "3"), "primary-write");
      primaryWrite.start();
      awaitWaiting(primaryWrite);
      assertEquals(
          Optional.of("2"), c.value(0, "k"), "the primary's write waits for member 1's turn");

      c.pumpUntil(() -> c.value(1, "k").equals(Optional.of("2")), 1); // member 1 catches up
      ChangeSet fresh = changeOnFollower(c, "f");
      CompletableFuture<String> third = CompletableFuture.supplyAsync(() -> submit(c, fresh, 3));
      c.pumpUntil(() -> third.isDone() && !primaryWrite.isAlive(), 1);

      assertEquals("ok", third.join(), "member 1's write went through in its turn");
      assertEquals(Optional.of("3"), c.value(0, "k"), "and the primary's write came after it");
      assertEquals(Optional.of("3"), c.value(1, "k"));
    }
  }

  @Test
  void aTurnNeverTaken_endsAfterItsLongestWait() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      ChangeSet stale = staleChange(c);
      submit(c, stale, 1);
      assertEquals("conflict", submit(c, stale, 2)); // member 1 has the turn, and never uses it

      Thread primaryWrite = new Thread(() -> c.put(0, "k", "2"), "primary-write");
      primaryWrite.start();
      awaitWaiting(primaryWrite);
      assertEquals(Optional.of("1"), c.value(0, "k"));

      c.ticker.advance(WriteTurn.LONGEST);
      c.pumpUntil(() -> !primaryWrite.isAlive(), 1);
      assertEquals(Optional.of("2"), c.value(0, "k"), "made once the turn ran out");
    }
  }

  /** Member 1's change of {@code k} from "0", made stale by the primary's change to "1". */
  private static ChangeSet staleChange(InProcessCluster c) {
    c.putAcknowledged(0, "k", "0");
    ChangeSet stale = changeOnFollower(c, "f");
    c.putAcknowledged(0, "k", "1");
    return stale;
  }

  /** Member 1's change of cluster value {@code k}, computed on what it holds now. */
  private static ChangeSet changeOnFollower(InProcessCluster c, String value) {
    return c.store(1)
        .speculate(
            tx -> {
              tx.putClusterValue("k", value.getBytes(StandardCharsets.UTF_8));
              return null;
            })
        .changes();
  }

  private static String submit(InProcessCluster c, ChangeSet changes, int attempt) {
    PeerMessages.Submit s =
        new PeerMessages.Submit(
            FOLLOWER, LogCodec.encode(new LogEntry(LogPosition.ZERO, changes)), attempt);
    return c.node(0).submit(s, InProcessCluster.fingerprint(1)).status();
  }

  /** Until {@code t} waits (on the primary's log signal, or for its acknowledgements). */
  private static void awaitWaiting(Thread t) throws InterruptedException {
    while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
      if (!t.isAlive()) {
        throw new AssertionError(t.getName() + " ended without waiting");
      }
      Thread.sleep(1);
    }
  }
}
