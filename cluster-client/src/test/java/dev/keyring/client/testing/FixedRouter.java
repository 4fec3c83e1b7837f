package dev.keyring.client.testing;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.MemberRouter;
import dev.keyring.client.channel.RoutedMember;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link MemberRouter} over a fixed list of members, for tests of the recovering channel: the
 * first member that is up and not tried serves (for a write, the first read-write one; for what
 * only the primary answers, the one marked primary); a member marked down stays down; down members
 * never answer a probe.
 */
public final class FixedRouter implements MemberRouter {
  /** One member: a channel, whether it is up and read-only, and its request counts. */
  public static final class Member implements RoutedMember {
    private final String name;
    private final MemberChannel channel;
    private volatile boolean up = true;
    private volatile boolean readOnly;
    private volatile boolean primary;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger sessions = new AtomicInteger();
    private final List<String> closeWhenBack = new CopyOnWriteArrayList<>();

    public Member(String name, MemberChannel channel) {
      this.name = name;
      this.channel = channel;
    }

    @Override
    public MemberChannel channel() {
      return channel;
    }

    @Override
    public String describe() {
      return "member " + name;
    }

    @Override
    public boolean up() {
      return up;
    }

    /** Brings the member back up, or takes it down. */
    public Member up(boolean up) {
      this.up = up;
      return this;
    }

    public Member readOnly(boolean readOnly) {
      this.readOnly = readOnly;
      return this;
    }

    /** Marks the member primary, as a cluster view would. */
    public Member primary(boolean primary) {
      this.primary = primary;
      return this;
    }

    @Override
    public void begin() {
      outstanding.incrementAndGet();
    }

    @Override
    public void end(boolean answered) {
      outstanding.decrementAndGet();
      if (answered) {
        this.answered.incrementAndGet();
      }
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
      closeWhenBack.add(sessionId);
    }

    /** The sessions to close when the member is back, as the recovering channel left them. */
    public List<String> closeWhenBack() {
      return List.copyOf(closeWhenBack);
    }

    /** Calls under way. */
    public int outstanding() {
      return outstanding.get();
    }

    /** Calls the member answered, refusals included. */
    public int answered() {
      return answered.get();
    }

    /** Physical sessions open on it. */
    public int sessions() {
      return sessions.get();
    }

    @Override
    public String toString() {
      return describe()
          + (up ? " up" : " down")
          + (readOnly ? " read-only" : "")
          + (primary ? " primary" : "");
    }
  }

  private final List<Member> members;
  private final AtomicInteger refreshes = new AtomicInteger();
  private volatile Runnable onRefresh = () -> {};
  private volatile boolean open = true;

  public FixedRouter(Member... members) {
    this.members = List.of(members);
  }

  @Override
  public RoutedMember select(boolean write, List<RoutedMember> tried) {
    for (Member m : members) {
      if (m.up && !tried.contains(m) && !(write && m.readOnly)) {
        return m;
      }
    }
    return null;
  }

  @Override
  public RoutedMember selectPrimary(List<RoutedMember> tried) {
    for (Member m : members) {
      if (m.up && m.primary && !tried.contains(m)) {
        return m;
      }
    }
    return null;
  }

  @Override
  public boolean probeDownMembers(List<RoutedMember> tried) {
    return false;
  }

  @Override
  public void refreshView() {
    refreshes.incrementAndGet();
    onRefresh.run();
  }

  /** What a fresh view changes (a new primary, say), applied at each refresh. */
  public void onRefresh(Runnable change) {
    this.onRefresh = change;
  }

  @Override
  public void markDown(RoutedMember m, TransportException cause) {
    ((Member) m).up = false;
  }

  @Override
  public TransportException noMember(boolean write, String what, List<Exception> failures) {
    if (write && members.stream().anyMatch(Member::up)) {
      HsmException e =
          new HsmException(ResultCode.CKR_TOKEN_WRITE_PROTECTED, "no member accepts " + what);
      failures.forEach(e::addSuppressed);
      throw e;
    }
    TransportException out =
        new TransportException(
            TransportException.Kind.CONNECT, "no member could serve " + what + ": " + members);
    new ArrayList<>(failures).forEach(out::addSuppressed);
    return out;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /** View refreshes asked for. */
  public int refreshes() {
    return refreshes.get();
  }

  /** Closes the router: calls fail as on a closed client. */
  public void close() {
    open = false;
  }
}
