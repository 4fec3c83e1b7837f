package dev.keyring.client.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.wire.ClusterPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ReadYourWritesTest {
  private static final UUID CLUSTER = UUID.randomUUID();

  private static ClusterPosition at(long epoch, long sequence) {
    return new ClusterPosition(CLUSTER, epoch, sequence);
  }

  @Test
  void position_onlyGrows_bySequence_acrossEpochs() {
    ReadYourWrites p = new ReadYourWrites();
    assertNull(p.current());
    assertTrue(p.advance(at(1, 5)));
    assertTrue(p.advance(at(1, 3)), "an older answer arriving late changes nothing");
    assertEquals(at(1, 5), p.current());
    assertTrue(p.advance(at(2, 6)));
    assertTrue(p.advance(at(3, 6)), "the same sequence in a later epoch is not further on");
    assertEquals(at(2, 6), p.current());
    assertEquals(CLUSTER, p.clusterId());
  }

  @Test
  void anotherClustersPosition_isIgnored() {
    ReadYourWrites p = new ReadYourWrites();
    assertTrue(p.bindTo(CLUSTER));
    assertFalse(p.advance(new ClusterPosition(UUID.randomUUID(), 1, 99)));
    assertNull(p.current());
    assertFalse(p.bindTo(UUID.randomUUID()), "bound once");
    assertTrue(p.advance(at(1, 2)));
    assertEquals(at(1, 2), p.current());
  }

  @Test
  void concurrentAnswers_leaveTheHighest() throws Exception {
    ReadYourWrites p = new ReadYourWrites();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int offset = t;
      Thread th =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < 1_000; i++) {
                  p.advance(at(1, i * 8L + offset));
                }
              });
      threads.add(th);
      th.start();
    }
    go.countDown();
    for (Thread th : threads) {
      th.join();
    }
    assertEquals(999 * 8L + 7, p.current().sequence());
  }
}
