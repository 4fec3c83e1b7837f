package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.Opcode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A crypto channel connection has at most {@value ChannelWire#MAX_IN_FLIGHT} requests under way; a
 * call that finds no turn within its time limit fails BUSY and is never written, as over HTTP. The
 * member here completes the handshake and the hello, then reads every frame and answers none.
 */
@Timeout(60)
class ChannelWireTurnsTest extends ChannelWireTestSupport {
  /**
   * A member that takes every request and answers none, but those it is told to answer, and the
   * requests beyond the first {@code answerLaterBeyond}, which it answers {@code later} after they
   * arrive.
   */
  private static final class SilentMember extends TestChannelMember {
    final AtomicInteger frames = new AtomicInteger();
    volatile OutputStream out;
    volatile int answerLaterBeyond = Integer.MAX_VALUE;
    volatile Duration later = Duration.ZERO;

    SilentMember() throws IOException {
      super(memberTls, "silent-member");
    }

    @Override
    void serve(InputStream in, OutputStream out) throws IOException {
      this.out = out;
      while (true) {
        int length = ChannelFrames.readLength(in, 1 << 20);
        int id = ChannelFrames.readFrame(in, length).id();
        if (frames.incrementAndGet() > answerLaterBeyond) {
          Thread late =
              new Thread(
                  () -> {
                    try {
                      Thread.sleep(later.toMillis());
                      answer(id);
                    } catch (InterruptedException | IOException e) {
                      // the test is over
                    }
                  });
          late.setDaemon(true);
          late.start();
        }
      }
    }

    void awaitFrames(int n) throws InterruptedException {
      for (int i = 0; i < 3_000 && frames.get() < n; i++) {
        Thread.sleep(10);
      }
      assertEquals(n, frames.get(), "requests received");
    }

    /** Answers request {@code id} now. */
    void answer(int id) throws IOException {
      synchronized (this) {
        out.write(ChannelCodec.done(id, Opcode.PING, null));
        out.flush();
      }
    }
  }

  @Test
  void aCallWhoseTurnDoesNotComeWithinItsTimeLimit_isBusy_andNeverWritten() throws Exception {
    int max = ChannelWire.MAX_IN_FLIGHT;
    ExecutorService callers = Executors.newFixedThreadPool(max);
    try (SilentMember member = new SilentMember()) {
      ChannelWire w = open(member, Duration.ZERO);
      List<Future<?>> underWay = new ArrayList<>();
      for (int i = 1; i <= max; i++) {
        int id = i;
        underWay.add(
            callers.submit(() -> w.call(id, ChannelCodec.ping(id), Duration.ZERO, "ping " + id)));
      }
      member.awaitFrames(max);

      TransportException e =
          assertThrows(
              TransportException.class,
              () ->
                  w.call(
                      max + 1,
                      ChannelCodec.ping(max + 1),
                      Duration.ofMillis(200),
                      "one ping more"));
      assertEquals(Kind.BUSY, e.kind(), e.getMessage());
      assertFalse(e.requestSent(), "never written");
      assertFalse(e.transientFailure(), "its time limit is spent");
      assertTrue(e.getMessage().contains(max + " requests were under way"), e.getMessage());
      assertEquals(max, member.frames.get(), "the member received no more");

      w.close();
      for (Future<?> f : underWay) {
        ExecutionException failed =
            assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        assertInstanceOf(TransportException.class, failed.getCause());
      }
    } finally {
      callers.shutdownNow();
    }
  }

  /**
   * The time limit covers the wait for a turn too: a call that waited 2 s of its 3 s for a turn
   * waits at most what is left for its answer, which the member gives 2 s after the request.
   */
  @Test
  void theTimeLimitCoversTheWaitForATurn() throws Exception {
    int max = ChannelWire.MAX_IN_FLIGHT;
    ExecutorService callers = Executors.newFixedThreadPool(max + 1);
    try (SilentMember member = new SilentMember()) {
      member.answerLaterBeyond = max;
      member.later = Duration.ofSeconds(2);
      ChannelWire w = open(member, Duration.ZERO);
      for (int i = 1; i <= max; i++) {
        int id = i;
        callers.submit(() -> w.call(id, ChannelCodec.ping(id), Duration.ZERO, "ping " + id));
      }
      member.awaitFrames(max);
      Future<ChannelAnswer> waiting =
          callers.submit(
              () -> w.call(max + 1, ChannelCodec.ping(max + 1), Duration.ofSeconds(3), "late"));
      Thread.sleep(2_000);
      member.answer(1); // a turn at last, with about 1 s of the 3 left
      ExecutionException failed =
          assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
      TransportException e = assertInstanceOf(TransportException.class, failed.getCause());
      assertTrue(
          e.kind() == Kind.IO || e.kind() == Kind.BUSY,
          "no answer within what was left (BUSY only if the turn came after 3 s): " + e);
      w.close();
    } finally {
      callers.shutdownNow();
    }
  }
}
