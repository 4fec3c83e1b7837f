package dev.keyring.testing.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.channel.DeferredCloses;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.MemberRouter;
import dev.keyring.client.channel.RoutedMember;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Routing over the members of a {@link FakeCluster}, in their order: a call goes to the member with
 * the fewest outstanding calls among those not marked down (the first of them on a tie, so a test
 * that makes one call at a time always reaches the first live member). A write goes to a member
 * that the router's view shows read-write; the view is taken again by {@link #refreshView()}, so a
 * member made read-only after that refuses writes until the next refresh, as a real member would
 * before its client learns of it. A member marked down gets no traffic until a probe of its health
 * succeeds; the sessions let go on it meanwhile are then closed there. What only the primary may
 * answer goes to the cluster's primary. There is no background thread: probes happen when the
 * recovering channel asks.
 */
public final class FakeRouter implements MemberRouter {
  private final List<Routed> members;
  private volatile boolean open = true;

  FakeRouter(List<FakeMember> fakes) {
    List<Routed> list = new ArrayList<>();
    for (FakeMember m : fakes) {
      list.add(new Routed(m));
    }
    this.members = List.copyOf(list);
  }

  @Override
  public RoutedMember select(boolean write, List<RoutedMember> tried) {
    Routed best = null;
    for (Routed m : members) {
      if (!m.up() || tried.contains(m) || (write && m.readOnlyInView)) {
        continue;
      }
      if (best == null || m.outstanding.get() < best.outstanding.get()) {
        best = m;
      }
    }
    return best;
  }

  /** The cluster's primary, if routing sends it traffic and the call did not try it yet. */
  @Override
  public RoutedMember selectPrimary(List<RoutedMember> tried) {
    for (Routed m : members) {
      if (m.member.isPrimary() && m.up() && !tried.contains(m)) {
        return m;
      }
    }
    return null;
  }

  @Override
  public boolean probeDownMembers(List<RoutedMember> tried) {
    boolean any = false;
    for (Routed m : members) {
      if (m.markedDown && !tried.contains(m)) {
        try {
          m.member.health();
          m.markedDown = false;
          m.deferred.closeAll(m.describe(), m.member);
          any = true;
        } catch (TransportException stillDown) {
          // stays marked down
        }
      }
    }
    return any;
  }

  @Override
  public void refreshView() {
    for (Routed m : members) {
      m.readOnlyInView = m.member.isReadOnly();
    }
  }

  @Override
  public void markDown(RoutedMember m, TransportException cause) {
    ((Routed) m).markedDown = true;
  }

  @Override
  public TransportException noMember(boolean write, String what, List<Exception> failures) {
    if (write && members.stream().anyMatch(Routed::up)) {
      HsmException e =
          new HsmException(
              ResultCode.CKR_TOKEN_WRITE_PROTECTED,
              "no member of the fake cluster accepts writes (" + what + ")");
      failures.forEach(e::addSuppressed);
      throw e;
    }
    TransportException e =
        new TransportException(
            TransportException.Kind.CONNECT,
            "no member of the fake cluster answers (" + what + ")");
    failures.forEach(e::addSuppressed);
    return e;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /** The client that owns this router is closed: {@link #isOpen()} turns false. */
  public void close() {
    open = false;
  }

  /** The routed member that wraps {@code m}. */
  public RoutedMember routed(FakeMember m) {
    for (Routed r : members) {
      if (r.member == m) {
        return r;
      }
    }
    throw new IllegalArgumentException(m + " is not a member of this router's cluster");
  }

  /**
   * Whether routing sends {@code m} traffic (it was not marked down, or a probe brought it back).
   */
  public boolean isUp(FakeMember m) {
    return routed(m).up();
  }

  /** Physical sessions the routed members were told about and not yet told are closed. */
  public int routedSessions() {
    return members.stream().mapToInt(r -> r.sessions.get()).sum();
  }

  /** Calls begun and not yet ended, over every member. */
  public int outstanding() {
    return members.stream().mapToInt(r -> r.outstanding.get()).sum();
  }

  /** A fake member as routing sees it. */
  private static final class Routed implements RoutedMember {
    final FakeMember member;
    final AtomicInteger outstanding = new AtomicInteger();
    final AtomicInteger sessions = new AtomicInteger();
    final DeferredCloses deferred = new DeferredCloses();
    volatile boolean markedDown;
    volatile boolean readOnlyInView;

    Routed(FakeMember member) {
      this.member = member;
    }

    @Override
    public MemberChannel channel() {
      return member;
    }

    @Override
    public String describe() {
      return "fake member " + member.name();
    }

    @Override
    public boolean up() {
      return !markedDown;
    }

    @Override
    public void begin() {
      outstanding.incrementAndGet();
    }

    @Override
    public void end(boolean answered) {
      outstanding.decrementAndGet();
    }

    @Override
    public void sessionOpened() {
      sessions.incrementAndGet();
    }

    @Override
    public void sessionClosed() {
      sessions.decrementAndGet();
    }

    @Override
    public void closeWhenBack(String sessionId) {
      deferred.add(sessionId);
    }

    @Override
    public String toString() {
      return describe() + (markedDown ? " (down)" : "");
    }
  }
}
