package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who reads a crypto channel connection's answers: a call alone on its connection reads its own in
 * its thread while it comes within the spin; a late answer, overlapping calls and an idle
 * connection are the reader thread's. Every answer reaches the call it answers either way. The
 * member here answers each request, after the delay it is told.
 */
@Timeout(60)
class ChannelWireCallerReadsTest extends ChannelWireTestSupport {
  /** Answers every ping after {@link #delay}; closes the connection after {@link #closeAfter}. */
  private static final class EchoMember extends TestChannelMember {
    final AtomicInteger frames = new AtomicInteger();
    volatile Duration delay = Duration.ZERO;
    volatile int closeAfter = Integer.MAX_VALUE;

    EchoMember() throws IOException {
      super(memberTls, "echo-member");
    }

    @Override
    void serve(InputStream in, OutputStream out) throws IOException, InterruptedException {
      while (true) {
        int length = ChannelFrames.readLength(in, 1 << 20);
        if (length < 0) {
          return;
        }
        int id = ChannelFrames.readFrame(in, length).id();
        if (frames.incrementAndGet() > closeAfter) {
          return; // closes the connection, the request unanswered
        }
        long d = delay.toMillis();
        if (d > 0) {
          Thread.sleep(d);
        }
        out.write(ChannelCodec.done(id, Opcode.PING, null));
        out.flush();
      }
    }
  }

  private static void ping(ChannelWire w, int id) throws TransportException {
    ChannelAnswer a = w.call(id, ChannelCodec.ping(id), Duration.ofSeconds(20), "ping " + id);
    assertEquals(id, a.id, "the answer to its own request");
    assertTrue(a.ok(), String.valueOf(a.message));
  }

  @Test
  void aCallAloneOnItsConnection_readsItsOwnAnswer() throws Exception {
    try (EchoMember member = new EchoMember();
        ChannelWire w = open(member, Duration.ofMillis(200))) {
      for (int i = 1; i <= 50; i++) {
        ping(w, i);
      }
      // the first may find the reader thread reading (an idle connection); then it steps aside
      assertTrue(w.readByCallers() >= 25, "read by their callers: " + w.readByCallers() + " of 50");
    }
  }

  @Test
  void withTheSwitchOff_theReaderThreadReadsEveryAnswer() throws Exception {
    String was = System.getProperty(ChannelWire.CALLER_READS_PROPERTY);
    System.setProperty(ChannelWire.CALLER_READS_PROPERTY, "false");
    try (EchoMember member = new EchoMember();
        ChannelWire w = open(member, Duration.ofMillis(200))) {
      for (int i = 1; i <= 20; i++) {
        ping(w, i);
      }
      assertEquals(0, w.readByCallers());
    } finally {
      if (was == null) {
        System.clearProperty(ChannelWire.CALLER_READS_PROPERTY);
      } else {
        System.setProperty(ChannelWire.CALLER_READS_PROPERTY, was);
      }
    }
  }

  @Test
  void anAnswerLaterThanTheSpin_isReadByTheReaderThread() throws Exception {
    try (EchoMember member = new EchoMember();
        ChannelWire w = open(member, Duration.ofMillis(1))) {
      ping(w, 1);
      member.delay = Duration.ofMillis(300);
      long before = w.readByCallers();
      ping(w, 2); // the caller stops reading after 1 ms; the reader thread hands the answer over
      assertEquals(before, w.readByCallers(), "not read by its caller");
      member.delay = Duration.ZERO;
      ping(w, 3);
    }
  }

  @Test
  void overlappingCalls_eachGetTheirOwnAnswer() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try (EchoMember member = new EchoMember();
        ChannelWire w = open(member, Duration.ofMillis(1))) {
      List<Future<?>> all = new ArrayList<>();
      AtomicInteger ids = new AtomicInteger();
      for (int t = 0; t < 8; t++) {
        all.add(
            callers.submit(
                () -> {
                  for (int i = 0; i < 200; i++) {
                    ping(w, ids.incrementAndGet());
                  }
                  return null;
                }));
      }
      for (Future<?> f : all) {
        f.get(50, TimeUnit.SECONDS);
      }
      assertEquals(1_600, member.frames.get());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void theMemberClosingWhileACallerReads_failsTheCallWithIo_andClosesTheConnection()
      throws Exception {
    try (EchoMember member = new EchoMember();
        ChannelWire w = open(member, Duration.ofMillis(200))) {
      for (int i = 1; i <= 5; i++) {
        ping(w, i);
      }
      member.closeAfter = 5;
      TransportException e = assertThrows(TransportException.class, () -> ping(w, 6));
      assertEquals(Kind.IO, e.kind(), e.toString());
      assertTrue(e.requestSent());
      assertFalse(w.open(), "the connection is closed");
    }
  }
}
