package dev.keyring.testing.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.Hedging;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The physical sessions that hedged and abandoned attempts open on a member: a hedge that loses the
 * race, or an attempt given up at its deadline, while it opens (and logs in) a session on a member
 * must neither leave that session open nor let it serve the logical session in a login state it no
 * longer has. The member carries the open out and holds its answer ({@link FakeHold}) as a paused
 * member would. Nothing here asserts on time: holds and latches order the steps; the only waits are
 * for a session the client closes in the background.
 */
class HedgedSessionsTest {
  private static final String PASSWORD = "app-password-1";
  private static final Duration LONG = Duration.ofSeconds(10);

  private final FakeCluster cluster = new FakeCluster(2);
  private final FakeMember m1 = cluster.member(0);
  private final FakeMember m2 = cluster.member(1);
  private Hedging hedging;

  @AfterEach
  void closeHedging() {
    if (hedging != null) {
      hedging.close();
    }
  }

  /** A channel on m1, logged in, whose repeatable reads are hedged after 1 ms (no deadline). */
  private KeyringChannel hedgedChannel(Duration deadline, boolean hedge) throws Exception {
    cluster.createKeyring("app", PASSWORD);
    hedging =
        Hedging.of(
            TransportOptions.builder()
                .hedging(hedge)
                .hedgeMinDelay(Duration.ofMillis(1))
                .hedgeMaxDelay(Duration.ofMillis(1))
                .answerDeadline(deadline)
                .build());
    KeyringChannel ch = cluster.openChannel("app", hedging);
    ch.login(Role.KRCO, PASSWORD);
    assertEquals(1, m1.openSessions());
    return ch;
  }

  /**
   * A random of 16 bytes whose attempt on m1 is held until the hedge on m2 holds its session open;
   * m1 then answers and the hedge loses, abandoned while it waits for the open's answer.
   */
  private FakeHold hedgeLosesWhileItOpens(KeyringChannel ch) throws Exception {
    FakeHold first = m1.holdNext("random");
    FakeHold open = m2.holdNext("openSession");
    CompletableFuture<byte[]> random =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ch.random(16);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    open.awaitHeld(); // the hedge reached m2, which opened a session there
    first.release();
    assertEquals(16, random.get(LONG.toSeconds(), TimeUnit.SECONDS).length);
    assertTrue(first.awaitEnded(), "m1 answered the call");
    return open;
  }

  @Test
  void aHedgeThatLosesWhileItOpensASession_leavesNoSessionOpen_onceTheChannelCloses()
      throws Exception {
    KeyringChannel ch = hedgedChannel(Duration.ZERO, true);
    FakeHold open = hedgeLosesWhileItOpens(ch);
    open.release();
    open.awaitEnded();
    ch.close();
    awaitZero("sessions open on the members", cluster::openSessions);
    assertEquals(1, m2.calls("openSession"));
    // the losing hedge's attempt ends on its hedge thread, after the open it waited for
    awaitZero("sessions routed", cluster.router()::routedSessions);
    awaitZero("calls under way", cluster.router()::outstanding);
  }

  @Test
  void theSessionALosingHedgeOpened_isKeptLoggedIn_andServesTheNextCallThere() throws Exception {
    KeyringChannel ch = hedgedChannel(Duration.ZERO, true);
    FakeHold open = hedgeLosesWhileItOpens(ch);
    open.release();
    assertTrue(open.awaitEnded(), "the open was waited for to its end, not abandoned");
    m1.down();
    assertEquals(16, ch.random(16).length); // on m2, in the session the hedge opened
    assertEquals(1, m2.calls("openSession"), "no second session opened on m2");
    assertEquals(1, m2.calls("login"), "the hedge's session was logged in like the first");
    assertEquals(1, m2.openSessions());
    m1.up();
    cluster.router().probeDownMembers(List.of());
    ch.close();
    awaitZero("sessions open on the members", cluster::openSessions);
  }

  @Test
  void aSessionAHedgeOpenedBeforeALogout_isClosed_andNeverServesTheLoggedOutSession()
      throws Exception {
    KeyringChannel ch = hedgedChannel(Duration.ZERO, true);
    FakeHold open = hedgeLosesWhileItOpens(ch);
    ch.logout(); // while the hedge's session on m2 is still being opened, logged in
    open.release();
    open.awaitEnded();
    m1.down();
    HsmException e = assertThrows(HsmException.class, () -> ch.random(16));
    assertEquals(ResultCode.CKR_USER_NOT_LOGGED_IN, e.code());
    assertFalse(ch.isLoggedIn());
    m1.up();
    cluster.router().probeDownMembers(List.of());
    ch.close();
    awaitZero("sessions open on the members", cluster::openSessions);
    awaitZero("sessions routed", cluster.router()::routedSessions);
  }

  @Test
  void anAttemptAbandonedAtTheDeadlineWhileItReopensASession_leavesNoSessionOpen()
      throws Exception {
    KeyringChannel ch = hedgedChannel(Duration.ofMillis(20), false);
    m1.loseSessions(); // as after a restart: the next call on m1 opens and logs in again
    FakeHold reopen = m1.holdNext("openSession");
    CompletableFuture<byte[]> random =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ch.random(16);
              } catch (Exception x) {
                throw new IllegalStateException(x);
              }
            });
    reopen.awaitHeld();
    // m1 holds the answer past the deadline: the call goes on on m2
    assertEquals(16, random.get(LONG.toSeconds(), TimeUnit.SECONDS).length);
    assertEquals(1, m2.calls("random"));
    reopen.release();
    reopen.awaitEnded();
    cluster.router().probeDownMembers(List.of()); // m1 answers again: routing brings it back
    ch.close();
    awaitZero("sessions open on the members", cluster::openSessions);
    awaitZero("sessions routed", cluster.router()::routedSessions);
  }

  /** Waits (10 s at most) until {@code count} is 0, which the channel reaches in the background. */
  private static void awaitZero(String what, IntSupplier count) throws InterruptedException {
    long end = System.nanoTime() + LONG.toNanos();
    while (count.getAsInt() != 0) {
      if (System.nanoTime() > end) {
        throw new AssertionError(what + ": still " + count.getAsInt() + " after " + LONG);
      }
      Thread.sleep(5);
    }
  }
}
