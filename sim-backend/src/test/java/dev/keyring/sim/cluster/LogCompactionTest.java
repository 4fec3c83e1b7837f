package dev.keyring.sim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.LogPosition;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log is bounded: compacted through what every live member holds (all of it while every member
 * polls; all but the newest {@link ReplicationLeader#RETAINED_ENTRIES} while one is away);
 * followers drop what the primary dropped; a member behind the log's base installs a snapshot.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a measure
class LogCompactionTest {
  private static final int WRITES = 600;

  @TempDir Path dir;

  @Test
  void everyMemberPolling_primaryAndFollowerKeepNothingTheyAllHold_theirPositionUnchanged()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 2)) {
      for (int i = 0; i < WRITES; i++) {
        c.putAcknowledged(0, "k" + (i % 10), "v" + i);
      }
      LogPosition last = c.store(0).position();
      assertTrue(logged(c, 0) > WRITES, "every write is logged: " + logged(c, 0));

      assertTrue(c.node(0).compactLog() > 0);

      assertEquals(0, logged(c, 0), "the follower holds every entry: none is kept");
      assertEquals(last, c.store(0).position());
      assertEquals(last.sequence(), c.store(0).logBase().sequence());
      assertEquals(0, c.node(0).compactLog(), "nothing more to drop");

      c.putAcknowledged(0, "after", "compaction"); // the follower hears how far the primary got
      assertTrue(
          logged(c, 1) <= 2,
          "the follower drops what the primary dropped, and keeps what came since: "
              + logged(c, 1));
      assertEquals(Optional.of("compaction"), c.value(1, "after"));
      assertEquals(c.store(0).stateDigest(), c.store(1).stateDigest());
    }
  }

  @Test
  void aMemberAway_theNewestEntriesAreKeptForIt_andItCatchesUpFromTheLog() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      for (int i = 0; i < 200; i++) {
        c.putAcknowledged(0, "early" + (i % 10), "v" + i);
      }
      c.ticker.advance(ClusterNode.LIVE); // member 2 is away from here on
      for (int i = 0; i < 100; i++) {
        c.putAcknowledged(0, "k" + (i % 10), "v" + i, 1);
      }
      LogPosition last = c.store(0).position();

      assertTrue(c.node(0).compactLog() > 0);

      assertEquals(ReplicationLeader.RETAINED_ENTRIES, logged(c, 0));
      assertEquals(
          last.sequence() - ReplicationLeader.RETAINED_ENTRIES, c.store(0).logBase().sequence());
      assertTrue(c.store(2).position().sequence() >= c.store(0).logBase().sequence());
      assertEquals("ok", c.node(2).pollPrimary(0), "it catches up from the log, no snapshot");
      assertEquals(last, c.store(2).position());
      assertEquals(c.store(0).stateDigest(), c.store(2).stateDigest());
    }
  }

  @Test
  void memberBehindTheBase_installsASnapshot_andConverges() throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.ticker.advance(ClusterNode.LIVE); // member 2 is away: it does not hold the log back
      for (int i = 0; i < WRITES; i++) {
        c.putAcknowledged(0, "k" + (i % 10), "v" + i, 1);
      }
      c.node(0).compactLog();
      assertTrue(c.store(2).position().sequence() < c.store(0).logBase().sequence());

      assertEquals("resync", c.node(2).pollPrimary(0));

      assertEquals(c.store(0).position(), c.store(2).position());
      assertEquals(c.store(0).stateDigest(), c.store(2).stateDigest());
    }
  }

  @Test
  void memberBehindTheBase_withThousandsOfObjects_installsTheStreamedState_andConverges()
      throws Exception {
    try (InProcessCluster c = InProcessCluster.start(dir, 3)) {
      c.ticker.advance(ClusterNode.LIVE); // member 2 is away: it does not hold the log back
      UUID cluster = c.store(0).cluster().orElseThrow().id();
      List<KeyringRecord> keyrings = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        keyrings.add(
            new KeyringRecord(
                UUID.randomUUID(),
                cluster,
                "app" + i,
                "v1$app",
                false,
                true,
                false,
                0,
                Instant.now()));
      }
      c.writeAcknowledged(0, tx -> tx.createKeyrings(cluster, keyrings), 1);
      for (KeyringRecord k : keyrings) {
        c.writeAcknowledged(
            0,
            tx -> {
              for (int i = 0; i < 250; i++) {
                tx.insertObject(
                    k.id(),
                    UUID.randomUUID(),
                    ObjectClass.DATA,
                    Attributes.builder().objectClass(ObjectClass.DATA).label("d" + i).build(),
                    null);
              }
              return null;
            },
            1);
      }
      for (int i = 0; i < 300; i++) {
        c.putAcknowledged(0, "k" + (i % 10), "v" + i, 1);
      }
      c.node(0).compactLog();
      assertTrue(c.store(2).position().sequence() < c.store(0).logBase().sequence());

      assertEquals("resync", c.node(2).pollPrimary(0));

      assertEquals(c.store(0).position(), c.store(2).position());
      assertEquals(c.store(0).stateDigest(), c.store(2).stateDigest());
      int objects = 0;
      for (KeyringRecord k : c.store(2).keyrings()) {
        objects += c.store(2).findObjects(k.id(), Attributes.empty()).size();
      }
      assertEquals(3000, objects);
    }
  }

  private static int logged(InProcessCluster c, int member) {
    return c.store(member).entriesAfter(0, 1_000_000).size();
  }
}
