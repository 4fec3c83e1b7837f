package dev.keyring.client.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.testing.FixedRouter;
import dev.keyring.client.testing.ScriptedChannel;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hedges and deadlines ({@link Hedging}) over scripted members: a member that hangs, as one paused
 * mid-call, until recovery abandons the attempt. Small real delays drive the timer; nothing here
 * asserts on time, only on which member answered and what was sent where.
 */
class HedgingTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final Duration LONG = Duration.ofSeconds(30);

  private final ScriptedChannel m1 = new ScriptedChannel("m1");
  private final ScriptedChannel m2 = new ScriptedChannel("m2");
  private final ScriptedChannel m3 = new ScriptedChannel("m3");
  private final FixedRouter.Member link1 = new FixedRouter.Member("m1", m1.channel());
  private final FixedRouter.Member link2 = new FixedRouter.Member("m2", m2.channel());
  private final FixedRouter.Member link3 = new FixedRouter.Member("m3", m3.channel());
  private Hedging hedging;

  @AfterEach
  void close() {
    if (hedging != null) {
      hedging.close();
    }
  }

  private static TransportOptions.Builder options(Duration hedgeDelay, Duration deadline) {
    return TransportOptions.builder()
        .hedging(true)
        .hedgeMinDelay(hedgeDelay)
        .hedgeMaxDelay(hedgeDelay)
        .answerDeadline(deadline);
  }

  private RecoveringChannel loggedIn(FixedRouter router, TransportOptions options)
      throws TransportException {
    hedging = Hedging.of(options);
    RecoveringChannel s = RecoveringChannel.open(router, hedging, "app", c -> {});
    s.login(Role.KRCO, PASSWORD);
    return s;
  }

  private static byte[] sign(RecoveringChannel s) throws TransportException {
    return s.sign(7, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, new byte[] {1, 2, 3});
  }

  @Test
  void aSignItsMemberDoesNotAnswer_isAnsweredByASecondMember_andTheFirstAttemptAbandoned()
      throws Exception {
    RecoveringChannel s =
        loggedIn(new FixedRouter(link1, link2), options(Duration.ofMillis(20), LONG).build());
    m1.hangNext("sign", LONG);
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m1.count("sign"));
    assertEquals(1, m1.abandoned(), "the first attempt was given up when the hedge answered");
    assertEquals(
        List.of("openSession", "login", "sign"),
        m2.calls(),
        "a session opened and logged in on the second member, as after a failover");
    assertTrue(link1.up(), "a member only slower than another is not marked down");
    assertEquals(0, link1.outstanding());
    assertEquals(0, link2.outstanding());
  }

  @Test
  void aHedgeThatLost_whileLoggingIn_isNotCutOff_andItsSessionClosesWithTheLogicalSession()
      throws Exception {
    RecoveringChannel s =
        loggedIn(new FixedRouter(link1, link2), options(Duration.ofMillis(20), LONG).build());
    m1.hangNext("sign", Duration.ofMillis(300)); // slow, but answers: the first attempt wins
    m2.hangNext("login", Duration.ofMillis(500)); // the hedge opens a session on m2, logs in slowly
    assertArrayEquals(new byte[] {1}, sign(s));
    // the hedge was abandoned when m1 answered, but not its login: that goes on in the background,
    // and the session it logged in is kept, or closed if the logical session closed first
    s.close();
    long deadline = System.nanoTime() + LONG.toNanos(); // a guard against a hang, not a measure
    while (m2.openSessions() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(List.of("openSession", "login", "closeSession"), m2.calls());
    assertEquals(0, m2.abandoned(), "the login was waited for to its end");
    assertEquals(0, m2.openSessions(), "no session left open on the member the hedge tried");
  }

  @Test
  void aWriteItsMemberDoesNotAnswer_isNeverHedged_norAbandoned_norRepeated() throws Exception {
    RecoveringChannel s =
        loggedIn(
            new FixedRouter(link1, link2),
            options(Duration.ofMillis(10), Duration.ofMillis(20)).build());
    m1.hangNext("generateKey", Duration.ofMillis(300));
    assertSame(ScriptedChannel.OBJECT, s.generateKey(KeyGenParams.aes(256), null));
    assertEquals(1, m1.count("generateKey"));
    assertEquals(0, m1.abandoned());
    assertEquals(0, m2.count("generateKey"), "the write went to one member only");
    assertEquals(List.of(), m2.calls());
    assertTrue(link1.up());
  }

  @Test
  void theDeadline_abandonsTheSilentMember_marksItDown_andTheReadGoesElsewhere() throws Exception {
    RecoveringChannel s =
        loggedIn(
            new FixedRouter(link1, link2),
            options(Duration.ofMillis(10), Duration.ofMillis(50)).hedging(false).build());
    m1.hangNext("sign", LONG);
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m1.abandoned());
    assertFalse(link1.up(), "the member that did not answer by the deadline is marked down");
    assertEquals(1, m2.count("sign"));
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m1.count("sign"), "following calls go elsewhere at once");
    assertEquals(2, m2.count("sign"));
  }

  @Test
  void anAbandonThatBlocks_holdsBackNoOtherCallsDeadline() throws Exception {
    RecoveringChannel s =
        loggedIn(
            new FixedRouter(link1, link2, link3),
            options(Duration.ofMillis(10), Duration.ofMillis(50)).hedging(false).build());
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      // the first sign's member is silent, and abandoning it blocks (a close on a paused peer)
      m1.hangNextAbandonBlocking("sign", LONG, release);
      Future<byte[]> first = pool.submit(() -> sign(s));
      await(() -> m1.abandonsBlocked() == 1, "the first sign's abandon is under way and blocked");
      // the second sign's member is silent too: its own deadline must still fire
      m2.hangNext("sign", LONG);
      Future<byte[]> second = pool.submit(() -> sign(s));
      assertArrayEquals(new byte[] {1}, second.get(LONG.toMillis(), TimeUnit.MILLISECONDS));
      assertEquals(1, m2.abandoned(), "m2 was abandoned at its deadline");
      assertEquals(1, m3.count("sign"), "and the sign answered by m3");
      assertEquals(1, m1.abandonsBlocked(), "while the first abandon was still blocked");
      assertFalse(first.isDone());
      release.countDown();
      assertArrayEquals(new byte[] {1}, first.get(LONG.toMillis(), TimeUnit.MILLISECONDS));
      assertFalse(link1.up());
      assertFalse(link2.up());
    } finally {
      release.countDown();
      pool.shutdownNow();
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

  @Test
  void aMemberAlone_isWaitedFor_pastTheHedgeDelayAndTheDeadline() throws Exception {
    RecoveringChannel s =
        loggedIn(
            new FixedRouter(link1), options(Duration.ofMillis(5), Duration.ofMillis(20)).build());
    m1.hangNext("sign", Duration.ofMillis(200));
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m1.count("sign"));
    assertEquals(0, m1.abandoned());
    assertTrue(link1.up());
  }

  @Test
  void twoSilentMembers_areBothAbandonedAtTheirDeadlines_andTheThirdAnswers() throws Exception {
    RecoveringChannel s =
        loggedIn(
            new FixedRouter(link1, link2, link3),
            options(Duration.ofMillis(10), Duration.ofMillis(100)).build());
    m1.hangNext("sign", LONG);
    m2.hangNext("openSession", LONG);
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m1.abandoned());
    assertEquals(0, m2.abandoned(), "the open on m2 is not cut off: it goes on in the background");
    assertFalse(link1.up());
    assertFalse(link2.up());
    assertEquals(1, m3.count("sign"));
  }

  @Test
  void aDeadlineBeforeTheHedgeDelay_abandonsTheSilentMember_andNoHedgeFollows() throws Exception {
    RecoveringChannel s =
        loggedIn(
            new FixedRouter(link1, link2),
            options(Duration.ofMillis(150), Duration.ofMillis(20)).build());
    m1.hangNext("sign", LONG);
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m1.abandoned(), "abandoned at the deadline, before any hedge");
    assertFalse(link1.up());
    assertEquals(1, m2.count("sign"), "the read went on to m2 once");
    // past the hedge delay of that call: the hedge armed at its deadline was dropped with it
    Thread.sleep(300);
    assertEquals(1, m2.count("sign"), "no hedge after the call ended");
    assertEquals(1, m1.count("sign"));
  }

  @Test
  void theSecondMembersRefusal_isTheAnswer_whenTheFirstIsSilent() throws Exception {
    RecoveringChannel s =
        loggedIn(new FixedRouter(link1, link2), options(Duration.ofMillis(10), LONG).build());
    m1.hangNext("random", LONG);
    m2.failNext("random", new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "too long"));
    HsmException e = assertThrows(HsmException.class, () -> s.random(1 << 30));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code());
    assertEquals(1, m1.abandoned());
    assertTrue(link1.up());
  }

  @Test
  void theHedgeDelay_isThreeTimesTheP99_clampedToTheBounds() {
    Hedging h =
        Hedging.of(
            TransportOptions.builder()
                .hedgeMinDelay(Duration.ofMillis(50))
                .hedgeMaxDelay(Duration.ofMillis(500))
                .build());
    assertEquals(Duration.ofMillis(500), h.delay("sign"), "the maximum before latencies are known");
    for (int i = 0; i < LatencyWindow.SIZE; i++) {
      h.answered("sign", Duration.ofMillis(10).toNanos());
    }
    assertEquals(Duration.ofMillis(50), h.delay("sign"), "3 × 10 ms, raised to the minimum");
    for (int i = 0; i < LatencyWindow.SIZE; i++) {
      h.answered("sign", Duration.ofMillis(100).toNanos());
    }
    assertEquals(Duration.ofMillis(300), h.delay("sign"));
    for (int i = 0; i < LatencyWindow.SIZE; i++) {
      h.answered("sign", Duration.ofSeconds(1).toNanos());
    }
    assertEquals(Duration.ofMillis(500), h.delay("sign"), "lowered to the maximum");
    assertEquals(Duration.ofMillis(500), h.delay("verify"), "each call has its own window");
  }

  @Test
  void onlyRepeatableReadsThatAnyMemberAnswers_areHedged() {
    assertTrue(CallKind.READ_REPEATABLE.hedged());
    assertFalse(CallKind.READ_PRIMARY.hedged());
    assertFalse(CallKind.READ_ONCE.hedged());
    assertFalse(CallKind.WRITE.hedged());
    assertFalse(CallKind.ON_MEMBER.hedged());
  }
}
