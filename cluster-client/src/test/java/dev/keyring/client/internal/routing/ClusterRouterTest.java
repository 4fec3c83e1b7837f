package dev.keyring.client.internal.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.MemberState;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.CallKind;
import dev.keyring.client.channel.DeferredCloses;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.RecoveringChannel;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.testing.TestPki;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.protocol.wire.CryptoMessages;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router over an N-member cluster whose members are faked: the view is applied directly and
 * each call's outcome is chosen per member, so the routing, and the failover and write rules of the
 * recovering channel over it, run without a network. (The members' addresses refuse connections, so
 * view refreshes and probes fail fast and change nothing.)
 */
class ClusterRouterTest {
  private static final UUID CLUSTER = UUID.randomUUID();
  @TempDir static Path dir;
  private static ClusterEntry entry;
  private static int deadPort;

  private final List<ClusterRouter> routers = new ArrayList<>();

  @BeforeAll
  static void identity() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort(); // closed below: connections to it are refused
    }
    entry = TestPki.clientOfNewCa(dir, "router-test", deadPort).entry();
  }

  @AfterEach
  void closeRouters() {
    for (ClusterRouter r : routers) {
      r.close();
      assertEquals(0, r.connectionCount(), "connections left open");
    }
  }

  private ClusterRouter router(TransportOptions.Builder options, Ticker ticker)
      throws TransportException {
    ClusterRouter r =
        new ClusterRouter(
            entry,
            options
                .connectTimeout(Duration.ofSeconds(1))
                .viewRefresh(Duration.ofHours(1))
                .recoveryInterval(Duration.ofMinutes(10))
                .build(),
            ticker);
    routers.add(r);
    return r;
  }

  private ClusterRouter router(TransportOptions.Builder options) throws TransportException {
    return router(options, Ticker.SYSTEM);
  }

  /** A call made on the member the router chose. */
  @FunctionalInterface
  private interface LinkCall<T> {
    T apply(MemberLink member) throws TransportException;
  }

  /** Runs {@code call} as the recovering channel runs a call of {@code kind}. */
  private static <T> T execute(ClusterRouter r, CallKind kind, String what, LinkCall<T> call)
      throws TransportException {
    return RecoveringChannel.call(r, kind, what, c -> call.apply(linkOf(r, c)));
  }

  private static MemberLink linkOf(ClusterRouter r, MemberChannel c) {
    for (MemberLink l : r.links()) {
      if (l.channel() == c) {
        return l;
      }
    }
    throw new AssertionError("no member has channel " + c);
  }

  /** A ticker that moves only when told. */
  private static final class ManualTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }

    @Override
    public long nanoTime() {
      return nanos.get();
    }

    @Override
    public long currentTimeMillis() {
      return nanos.get() / 1_000_000L;
    }
  }

  private ClusterRouter router() throws TransportException {
    return router(TransportOptions.builder());
  }

  private static CryptoMessages.ClusterMember member(String name, String group, boolean readOnly) {
    return new CryptoMessages.ClusterMember(
        "id-" + name, name, "127.0.0.1", deadPort, group, name.equals("m1"), readOnly, true, 0);
  }

  private static CryptoMessages.ClusterView view(long version, CryptoMessages.ClusterMember... m) {
    return new CryptoMessages.ClusterView(CLUSTER, "test", 1, version, List.of(m));
  }

  /** m1 (registered) and m2 in group east, m3 in group west; all read-write. */
  private static ClusterRouter threeMembers(ClusterRouter r) {
    r.apply(
        view(
            1,
            member("m1", "east", false),
            member("m2", "east", false),
            member("m3", "west", false)),
        r.links().get(0));
    return r;
  }

  /** Runs {@code n} calls that answer with the member's name, and counts the answers. */
  private static Map<String, Integer> spread(ClusterRouter r, CallKind kind, int n)
      throws TransportException {
    Map<String, Integer> picks = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      picks.merge(execute(r, kind, "test call", MemberLink::name), 1, Integer::sum);
    }
    return picks;
  }

  private static Map<String, MemberState> states(ClusterRouter r) {
    Map<String, MemberState> out = new TreeMap<>();
    for (MemberState s : r.memberStates()) {
      out.put(s.name(), s);
    }
    return out;
  }

  /** A call that fails on the members {@code outcome} names and answers elsewhere. */
  private static LinkCall<String> failingOn(
      List<String> calls,
      Function<String, RuntimeException> hsm,
      Map<String, TransportException> t) {
    return m -> {
      calls.add(m.name());
      if (t.containsKey(m.name())) {
        throw t.get(m.name());
      }
      RuntimeException refusal = hsm.apply(m.name());
      if (refusal != null) {
        throw refusal;
      }
      return m.name();
    };
  }

  private static TransportException refused() {
    return new TransportException(TransportException.Kind.CONNECT, "connection refused");
  }

  private static TransportException reset() {
    return new TransportException(TransportException.Kind.IO, "connection reset");
  }

  @Test
  void view_namesTheRegisteredMember_andKeepsItsConfiguredAddress() throws Exception {
    ClusterRouter r = threeMembers(router());
    Map<String, MemberState> s = states(r);
    assertEquals(List.of("m1", "m2", "m3"), List.copyOf(s.keySet()));
    assertTrue(s.get("m1").registered());
    assertEquals("id-m1", s.get("m1").memberId());
    assertEquals("east", s.get("m1").group());
    assertFalse(s.get("m2").registered());
    assertEquals(1, r.viewVersion());
  }

  @Test
  void reads_spreadOverThePreferredGroup_only() throws Exception {
    ClusterRouter r = threeMembers(router());
    assertEquals(Map.of("m1", 3, "m2", 3), spread(r, CallKind.READ_REPEATABLE, 6));
    Map<String, MemberState> s = states(r);
    assertEquals(3, s.get("m1").completed());
    assertEquals(3, s.get("m2").completed());
    assertEquals(0, s.get("m3").completed());
    assertEquals(0, s.get("m1").outstanding());
  }

  @Test
  void affinityGroupOption_overridesTheRegisteredMembersGroup() throws Exception {
    ClusterRouter r = threeMembers(router(TransportOptions.builder().affinityGroup("west")));
    assertEquals(Map.of("m3", 4), spread(r, CallKind.READ_REPEATABLE, 4));
  }

  @Test
  void readFailingOnTheWire_marksTheMemberDown_andIsServedByAnother() throws Exception {
    ClusterRouter r = threeMembers(router());
    List<String> calls = new ArrayList<>();
    LinkCall<String> call = failingOn(calls, n -> null, Map.of("m1", reset()));
    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(execute(r, CallKind.READ_REPEATABLE, "sign", call));
    }
    assertEquals(List.of("m2", "m2", "m2", "m2"), answers);
    assertEquals(
        2,
        calls.stream().filter("m1"::equals).count(),
        "once more on a fresh connection, then no traffic once down");
    Map<String, MemberState> s = states(r);
    assertFalse(s.get("m1").up());
    assertEquals(0, s.get("m1").completed(), "a failed request is not completed");
    assertTrue(s.get("m2").up());
  }

  @Test
  void wholePreferredGroupDown_readsFailOverToTheOtherGroup() throws Exception {
    ClusterRouter r = threeMembers(router());
    List<String> calls = new ArrayList<>();
    String answer =
        execute(
            r,
            CallKind.READ_REPEATABLE,
            "sign",
            failingOn(calls, n -> null, Map.of("m1", refused(), "m2", reset())));
    assertEquals("m3", answer);
    assertEquals(List.of("m1", "m1", "m2", "m2", "m3"), calls);
  }

  @Test
  void everyMemberDown_readFails_withTheLastFailure_andTheEarlierOnesAttached() throws Exception {
    ClusterRouter r = threeMembers(router());
    TransportException e =
        assertThrows(
            TransportException.class,
            () ->
                execute(
                    r,
                    CallKind.READ_REPEATABLE,
                    "sign",
                    failingOn(
                        new ArrayList<>(),
                        n -> null,
                        Map.of("m1", refused(), "m2", refused(), "m3", reset()))));
    assertTrue(e.getMessage().startsWith("no member of cluster 'test'"), e.getMessage());
    assertEquals(TransportException.Kind.IO, e.kind(), "the kind of the last failure");
    assertEquals(2, e.getSuppressed().length);
    TransportException next =
        assertThrows(
            TransportException.class, () -> execute(r, CallKind.READ_REPEATABLE, "sign", m -> "x"));
    assertEquals(TransportException.Kind.CONNECT, next.kind());
  }

  @Test
  void certificateFailure_isNotFailedOver() throws Exception {
    ClusterRouter r = threeMembers(router());
    List<String> calls = new ArrayList<>();
    TransportException tls = new TransportException(TransportException.Kind.TLS, "bad_certificate");
    TransportException e =
        assertThrows(
            TransportException.class,
            () ->
                execute(
                    r,
                    CallKind.READ_REPEATABLE,
                    "sign",
                    failingOn(calls, n -> null, Map.of("m1", tls))));
    assertEquals(tls, e);
    assertEquals(List.of("m1"), calls);
    assertTrue(
        states(r).get("m1").up(), "a TLS failure is the operator's to fix, not a down member");
  }

  @Test
  void writeBrokenAfterItWasSent_isNotRepeated_andSaysItMayHaveHappened() throws Exception {
    ClusterRouter r = threeMembers(router());
    List<String> calls = new ArrayList<>();
    TransportException e =
        assertThrows(
            TransportException.class,
            () ->
                execute(
                    r,
                    CallKind.WRITE,
                    "keypairs",
                    failingOn(calls, n -> null, Map.of("m1", reset()))));
    assertEquals(List.of("m1"), calls);
    assertTrue(e.getMessage().contains("may or may not have happened"), e.getMessage());
    assertEquals(TransportException.Kind.IO, e.kind());
  }

  @Test
  void writeThatNeverLeftTheClient_goesToAnotherReadWriteMember() throws Exception {
    ClusterRouter r = threeMembers(router());
    List<String> calls = new ArrayList<>();
    assertEquals(
        "m2",
        execute(
            r, CallKind.WRITE, "keypairs", failingOn(calls, n -> null, Map.of("m1", refused()))));
    assertEquals(List.of("m1", "m1", "m2"), calls, "once more on m1 first: nothing was sent");
  }

  @Test
  void writeRefusedAsReadOnly_isRetriedOnceOnAnotherReadWriteMember() throws Exception {
    ClusterRouter r = threeMembers(router());
    List<String> calls = new ArrayList<>();
    assertEquals(
        "m2",
        execute(
            r,
            CallKind.WRITE,
            "keypairs",
            failingOn(
                calls,
                n ->
                    n.equals("m1")
                        ? new HsmException(ResultCode.CKR_TOKEN_WRITE_PROTECTED, "read-only")
                        : null,
                Map.of())));
    assertEquals(List.of("m1", "m2"), calls);

    calls.clear();
    HsmException twice =
        assertThrows(
            HsmException.class,
            () ->
                execute(
                    r,
                    CallKind.WRITE,
                    "keypairs",
                    failingOn(
                        calls,
                        n -> new HsmException(ResultCode.CKR_TOKEN_WRITE_PROTECTED, "read-only"),
                        Map.of())));
    assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, twice.code());
    assertEquals(2, calls.size(), "one retry, not one per member: " + calls);
  }

  @Test
  void noReadWriteMember_writeFailsWithTheReadOnlyError_withoutBeingSent() throws Exception {
    ClusterRouter r = router();
    r.apply(
        view(1, member("m1", "east", true), member("m2", "east", true), member("m3", "west", true)),
        r.links().get(0));
    List<String> calls = new ArrayList<>();
    HsmException e =
        assertThrows(
            HsmException.class,
            () -> execute(r, CallKind.WRITE, "keypairs", failingOn(calls, n -> null, Map.of())));
    assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, e.code());
    assertTrue(
        e.getMessage().contains("no member of cluster 'test' (" + CLUSTER + ") accepts writes"),
        e.getMessage());
    assertTrue(e.getMessage().contains("not queued"), e.getMessage());
    assertEquals(List.of(), calls);
    assertEquals(
        "m1", execute(r, CallKind.READ_REPEATABLE, "sign", MemberLink::name), "reads still served");
  }

  @Test
  void olderView_neverReplacesANewerOne_andRemovedMembersGo() throws Exception {
    ClusterRouter r = router();
    MemberLink seed = r.links().get(0);
    r.apply(
        view(
            5,
            member("m1", "east", false),
            member("m2", "east", false),
            member("m3", "west", false)),
        seed);
    r.apply(view(4, member("m1", "east", false)), seed);
    assertEquals(5, r.viewVersion());
    assertEquals(3, r.links().size());
    MemberLink m3 = r.links().get(2);
    r.apply(view(6, member("m1", "east", false), member("m2", "east", true)), seed);
    assertEquals(6, r.viewVersion());
    assertEquals(List.of("m1", "m2"), List.copyOf(states(r).keySet()));
    assertTrue(states(r).get("m2").readOnly());
    assertTrue(m3.removed());
    assertTrue(m3.transport().isClosed());
    assertTrue(r.links().get(0) == seed, "the registered member keeps its link");
  }

  @Test
  void viewOfAnOlderEpoch_neverReplacesANewerOne_whateverItsVersion() throws Exception {
    ClusterRouter r = router();
    MemberLink seed = r.links().get(0);
    r.apply(
        new CryptoMessages.ClusterView(
            CLUSTER, "test", 3, 10, List.of(member("m1", "east", false))),
        seed);
    // a replaced primary that kept changing its own membership in epoch 2
    r.apply(
        new CryptoMessages.ClusterView(
            CLUSTER,
            "test",
            2,
            50,
            List.of(member("m1", "east", false), member("m2", "east", false))),
        seed);
    assertEquals(10, r.viewVersion());
    assertEquals(1, r.links().size());
    r.apply(
        new CryptoMessages.ClusterView(
            CLUSTER,
            "test",
            4,
            11,
            List.of(member("m1", "east", false), member("m2", "east", false))),
        seed);
    assertEquals(11, r.viewVersion());
    assertEquals(2, r.links().size());
  }

  @Test
  void viewOfAnotherCluster_isIgnored() throws Exception {
    ClusterRouter r = threeMembers(router());
    r.apply(
        new CryptoMessages.ClusterView(
            UUID.randomUUID(), "other", 1, 99, List.of(member("x", "east", false))),
        r.links().get(0));
    assertEquals(1, r.viewVersion());
    assertEquals(3, r.links().size());
  }

  @Test
  void recovery_probesTheDownMembers_onceEachIntervalOnTheTicker() throws Exception {
    ManualTicker ticker = new ManualTicker();
    ClusterRouter r = threeMembers(router(TransportOptions.builder(), ticker));
    assertEquals("m1", execute(r, CallKind.READ_REPEATABLE, "sign", MemberLink::name));
    MemberLink m2 = r.links().get(1);
    r.markDown(m2, reset());
    r.tick();
    assertEquals(0, m2.failedProbes(), "no interval has passed on the ticker");
    ticker.advance(Duration.ofMinutes(10));
    r.tick();
    assertEquals(1, m2.failedProbes(), "probed once: its address refuses connections");
    r.tick();
    assertEquals(1, m2.failedProbes(), "not again before the next interval");
    ticker.advance(Duration.ofMinutes(10));
    r.tick();
    assertEquals(2, m2.failedProbes());
    assertFalse(m2.up());
    assertEquals(0, r.links().get(0).failedProbes(), "members that are up are not probed");
  }

  @Test
  void aSessionLetGoAsItsMemberComesBack_isClosedThen_notAtTheMembersNextReturn() throws Exception {
    ClusterRouter r = threeMembers(router());
    MemberLink m2 = r.links().get(1);
    DeferredCloses waiting = m2.deferredCloses();
    r.markDown(m2, reset());
    m2.closeWhenBack("let-go-while-down");
    assertEquals(1, waiting.pending());
    assertEquals(0, waiting.rounds(), "kept for the member's return");
    // the member is brought back between the caller's check (down) and its keeping the session:
    // the return's closing round has come and gone
    assertTrue(m2.markUp());
    m2.closeWhenBack("let-go-as-it-came-back");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (waiting.rounds() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(1, waiting.rounds(), "closing started by the session kept while the member is up");
    while (waiting.pending() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10); // the round's first close is refused (the address refuses connections)
    }
    assertEquals(2, waiting.pending(), "refused on the wire: both kept for the next return");
  }

  @Test
  void aCloseThatFailedWhileItsMemberWasUp_isTriedAgainByTheRecoveryRounds() throws Exception {
    ManualTicker ticker = new ManualTicker();
    ClusterRouter r = threeMembers(router(TransportOptions.builder(), ticker));
    assertEquals("m1", execute(r, CallKind.READ_REPEATABLE, "sign", MemberLink::name));
    MemberLink m2 = r.links().get(1);
    DeferredCloses waiting = m2.deferredCloses();
    // an open whose answer was lost, given up before routing marked the member down (never, here)
    m2.closeWhenBack("lost-open");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while ((waiting.rounds() == 0 || waiting.pending() == 0) && System.nanoTime() < deadline) {
      Thread.sleep(10); // the round at once: refused (the address refuses connections)
    }
    assertEquals(1, waiting.rounds());
    assertEquals(1, waiting.pending(), "refused on the wire: kept");
    assertTrue(m2.up(), "nothing marked the member down, so no return will come");
    while (waiting.rounds() < 2 && System.nanoTime() < deadline) {
      ticker.advance(Duration.ofMinutes(10));
      r.tick(); // a recovery round: the member is up and a close waits
      Thread.sleep(10);
    }
    assertEquals(2, waiting.rounds(), "tried again by the background work");
  }

  @Test
  void closingTheClient_asksEveryMemberForTheSessionsLetGoThere_evenOneMarkedDown()
      throws Exception {
    ClusterRouter r = threeMembers(router());
    MemberLink m2 = r.links().get(1);
    DeferredCloses waiting = m2.deferredCloses();
    r.markDown(m2, reset());
    m2.closeWhenBack("let-go-while-down");
    assertEquals(0, waiting.rounds(), "kept for the member's return");

    r.close();

    assertEquals(1, waiting.rounds(), "a last round as the client closed, done when close returns");
    assertEquals(1, waiting.pending(), "refused on the wire: left to the member's idle timeout");
    assertEquals(0, r.links().get(0).deferredCloses().rounds(), "none where nothing waits");
  }

  @Test
  void primaryLookup_goesToTheViewsPrimary_andAReadRefusedBehindFollowsIt() throws Exception {
    ClusterRouter r = router();
    r.apply(
        view(
            1,
            member("m1", "east", false),
            member("m2", "east", false),
            new CryptoMessages.ClusterMember(
                "id-m3", "m3", "127.0.0.1", deadPort, "west", false, false, true, 0)),
        r.links().get(0));
    // member() marks m1 primary
    assertEquals("m1", execute(r, CallKind.READ_PRIMARY, "find", MemberLink::name));

    r.apply(
        view(
            2,
            new CryptoMessages.ClusterMember(
                "id-m1", "m1", "127.0.0.1", deadPort, "east", false, false, true, 0),
            new CryptoMessages.ClusterMember(
                "id-m2", "m2", "127.0.0.1", deadPort, "east", false, false, true, 0),
            new CryptoMessages.ClusterMember(
                "id-m3", "m3", "127.0.0.1", deadPort, "west", true, false, true, 0)),
        r.links().get(0));
    assertEquals("m3", execute(r, CallKind.READ_PRIMARY, "find", MemberLink::name));

    List<String> calls = new ArrayList<>();
    LinkCall<String> behindOnEast =
        failingOn(
            calls,
            n ->
                n.equals("m3")
                    ? null
                    : new HsmException(ResultCode.CKR_MEMBER_BEHIND, n + " is behind"),
            Map.of());
    assertEquals("m3", execute(r, CallKind.READ_REPEATABLE, "find", behindOnEast));
    assertEquals(2, calls.size(), "one member of the group, then the primary: " + calls);
    assertEquals("m3", calls.get(1));
    assertTrue(states(r).get(calls.get(0)).up(), "a member behind stays up");

    r.links().get(2).markDown("test");
    assertThrows(
        TransportException.class,
        () -> execute(r, CallKind.READ_PRIMARY, "find", MemberLink::name));
  }
}
