package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.keyring.store.KeyringRecord;
import dev.keyring.store.LogPosition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A follower catches up from its position, resynchronises a diverged log, writes through. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class ReplicationFollowerTest {
  @TempDir Path dir;

  @Test
  void followerBehind_appliesTheMissingEntries_onItsNextPoll() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.ticker.advance(ClusterNode.LIVE); // member 1 is not live: nothing waits for it
      c.putAcknowledged(0, "a", "1", 2); // member 2 makes the majority; member 1 stays behind
      c.putAcknowledged(0, "b", "2", 2);
      c.putAcknowledged(0, "c", "3", 2);
      assertEquals(Optional.empty(), c.value(1, "a"));

      assertEquals("ok", c.node(1).pollPrimary(0));

      assertEquals(Optional.of("1"), c.value(1, "a"));
      assertEquals(Optional.of("2"), c.value(1, "b"));
      assertEquals(Optional.of("3"), c.value(1, "c"));
      assertEquals(c.store(0).position(), c.store(1).position());
    }
  }

  @Test
  void followerWhoseLogDoesNotFollowThePrimarys_installsThePrimarysState() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.putAcknowledged(0, "a", "1");
      // member 1's log grows on its own, past the primary's
      LogPosition at = c.store(1).position();
      for (int i = 0; i < 3; i++) {
        byte[] value = ("x" + i).getBytes(StandardCharsets.UTF_8);
        c.store(1)
            .writeAsPrimary(
                at.epoch(),
                tx -> {
                  tx.putClusterValue("stray", value);
                  return null;
                });
      }

      assertEquals("resync", c.node(1).pollPrimary(0));

      assertEquals(c.store(0).position(), c.store(1).position());
      assertEquals(Optional.of("1"), c.value(1, "a"));
      assertEquals(Optional.empty(), c.value(1, "stray"));
    }
  }

  @Test
  void writeThroughAFollower_returnsOnceTheFollowerHoldsIt() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      c.node(1).pollPrimary(0); // member 1 is read-write, and live on the primary

      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> c.put(1, "k", "v"));
      assertEquals("ok", c.node(1).pollPrimary(10_000)); // the primary appended it
      c.node(1).pollPrimary(0); // and member 1 acknowledges it
      write.get();

      assertEquals(Optional.of("v"), c.value(0, "k"));
      assertEquals(Optional.of("v"), c.value(1, "k"));
    }
  }

  @Test
  void appliedKeyringDeletion_tellsTheListener() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      UUID id = UUID.randomUUID();
      KeyringRecord k =
          new KeyringRecord(id, c.clusterId, "ring", "verifier", true, false, false, 0, epoch(), 1);
      c.ticker.advance(ClusterNode.LIVE); // member 1 is not live: nothing waits for it
      c.writeAcknowledged(0, tx -> tx.createKeyrings(c.clusterId, List.of(k)), 2);
      c.writeAcknowledged(0, tx -> tx.deleteKeyring(id), 2);
      assertFalse(c.listener(1).keyrings.contains(id));

      c.node(1).pollPrimary(0);

      assertEquals(List.of(id), c.listener(1).keyrings);
      assertEquals(List.of(id), c.listener(0).keyrings);
    }
  }

  private static Instant epoch() {
    return Instant.parse("2026-01-01T00:00:00Z");
  }
}
