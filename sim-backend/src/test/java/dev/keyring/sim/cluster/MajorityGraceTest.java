package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.LogPosition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary that does not see a majority at the moment of a write waits up to its grace for one
 * before refusing: a follower a little late (a busy machine) costs the write that wait, not a
 * refusal; a follower that stays away is refused after the grace, with nothing appended.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class MajorityGraceTest {
  @TempDir Path dir;

  @Test
  void followerLateByMoreThanTheLiveWindow_pollsWithinTheGrace_andTheWriteIsAcknowledged()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2, ClusterNode.LIVE)) {
      c.ticker.advance(ClusterNode.LIVE); // member 1 has not polled within the live window
      CompletableFuture<Void> w = CompletableFuture.runAsync(() -> c.put(0, "k", "v"));
      // the ticker does not move: the write can only go on once member 1 polls
      Thread.sleep(200);
      assertFalse(w.isDone(), "the write waits for a majority instead of refusing at once");

      c.pumpUntil(w::isDone);
      w.join();
      assertEquals(Optional.of("v"), c.value(0, "k"));
      assertEquals(Optional.of("v"), c.value(1, "k"));
    }
  }

  @Test
  void followerAwayForTheWholeGrace_theWriteIsRefused_andNothingIsAppended() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2, ClusterNode.LIVE)) {
      c.ticker.advance(ClusterNode.LIVE);
      LogPosition before = c.store(0).position();
      CompletableFuture<Void> w = CompletableFuture.runAsync(() -> c.put(0, "lost", "x"));
      long guard = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!w.isDone() && System.nanoTime() < guard) {
        c.ticker.advance(ClusterNode.LIVE); // the grace passes, by the ticker
        Thread.sleep(10);
      }
      CompletionException e = assertThrows(CompletionException.class, w::join);
      HsmException refused = assertInstanceOf(HsmException.class, e.getCause());
      assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, refused.code());
      assertEquals(before, c.store(0).position());
      assertEquals(Optional.empty(), c.value(0, "lost"));
      assertEquals(
          Optional.empty(),
          c.store(1).clusterValue("lost").map(b -> new String(b, StandardCharsets.UTF_8)));
    }
  }
}
