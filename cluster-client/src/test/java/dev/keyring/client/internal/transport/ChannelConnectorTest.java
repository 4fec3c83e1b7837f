package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.CallKind;
import dev.keyring.client.channel.Hedging;
import dev.keyring.client.channel.RecoveringChannel;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.testing.FixedRouter;
import dev.keyring.client.testing.ScriptedChannel;
import dev.keyring.client.testing.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connecting a member's crypto channel ({@link ChannelConnector}) against a fake paused member: a
 * socket that accepts TCP connections (as the kernel does for a stopped process) and never answers
 * the TLS handshake. The connect timeout is minutes long, so a caller that waited for the handshake
 * would hit the test's timeout; nothing here measures time.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChannelConnectorTest {
  private static final Duration LONG = Duration.ofSeconds(30);
  @TempDir static Path dir;
  private static ClusterEntry entry;

  @BeforeAll
  static void identity() {
    entry = TestPki.clientOfNewCa(dir, "connector-test", 1).entry();
  }

  /** A member process that is stopped: connections are accepted and never answered. */
  private static final class PausedMember implements AutoCloseable {
    final ServerSocket server;
    final List<Socket> accepted = new CopyOnWriteArrayList<>();
    final Thread acceptor;

    PausedMember() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(server.accept());
                  }
                } catch (IOException closed) {
                  // closed
                }
              },
              "paused-member");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    /** Breaks every connection accepted so far off, as a member that died would. */
    void dropAll() throws IOException {
      for (Socket s : accepted) {
        s.close();
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      dropAll();
    }
  }

  private static ChannelMemberChannel channelTo(PausedMember member, TransportOptions options)
      throws TransportException {
    return MemberTransports.load(entry, options)
        .openChannel("127.0.0.1", member.port(), "m1", "member m1");
  }

  private static TransportOptions.Builder slowConnect() {
    return TransportOptions.builder().connectTimeout(Duration.ofMinutes(5));
  }

  @Test
  void aReadWhoseMembersHandshakeHangs_isAbandonedAtTheDeadline_andAnsweredElsewhere()
      throws Exception {
    TransportOptions options =
        slowConnect().hedging(false).answerDeadline(Duration.ofMillis(50)).build();
    ScriptedChannel other = new ScriptedChannel("m2");
    try (PausedMember paused = new PausedMember();
        ChannelMemberChannel channel = channelTo(paused, options);
        Hedging hedging = Hedging.of(options)) {
      FixedRouter.Member silent = new FixedRouter.Member("m1", channel);
      FixedRouter router = new FixedRouter(silent, new FixedRouter.Member("m2", other.channel()));
      String answer =
          RecoveringChannel.call(
              router,
              hedging,
              CallKind.READ_REPEATABLE,
              "ping",
              c -> {
                c.health();
                return c.name();
              });
      assertEquals("m2", answer, "the ping went on on the other member");
      assertFalse(silent.up(), "the member whose handshake hung is marked down");
      assertEquals(List.of("health"), other.calls());
      assertEquals(1, paused.accepted.size(), "one connection was tried");
      assertFalse(paused.accepted.get(0).isClosed());
      assertTrue(channel.reachable(), "an abandoned handshake says nothing of the member");
    }
  }

  @Test
  void callersNeedingTheConnection_waitForTheSameOne_andShareItsFailure() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (PausedMember paused = new PausedMember();
        ChannelMemberChannel channel = channelTo(paused, slowConnect().build())) {
      Future<TransportException> first = pool.submit(() -> failureOf(channel));
      await(() -> paused.accepted.size() == 1, "the first caller's connection reached the member");
      Thread[] second = new Thread[1];
      Future<TransportException> secondCall =
          pool.submit(
              () -> {
                second[0] = Thread.currentThread();
                return failureOf(channel);
              });
      await(
          () -> second[0] != null && second[0].getState() == Thread.State.WAITING,
          "the second caller waits");
      paused.dropAll(); // the member goes away mid-handshake
      TransportException a = first.get(LONG.toMillis(), TimeUnit.MILLISECONDS);
      TransportException b = secondCall.get(LONG.toMillis(), TimeUnit.MILLISECONDS);
      assertEquals(TransportException.Kind.CONNECT, a.kind(), a.getMessage());
      assertEquals(TransportException.Kind.CONNECT, b.kind(), b.getMessage());
      assertFalse(a.requestSent());
      assertFalse(b.requestSent());
      assertTrue(a != b, "each caller has its own exception");
      assertEquals(1, paused.accepted.size(), "one handshake for both callers, not one each");
      assertFalse(channel.reachable(), "a connection that failed sends the member over HTTP");
    } finally {
      pool.shutdownNow();
    }
  }

  private static TransportException failureOf(ChannelMemberChannel channel) {
    try {
      channel.health();
      throw new AssertionError("a member that never answered the handshake answered a ping");
    } catch (TransportException e) {
      return e;
    }
  }

  /** Waits (bounded by {@link #LONG}, a guard against a hang, not a measure) for {@code done}. */
  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + LONG.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(2);
    }
  }
}
