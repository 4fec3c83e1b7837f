package dev.keyring.testing.channel;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.channel.Hedging;
import dev.keyring.client.channel.ReadYourWrites;
import dev.keyring.client.channel.RecoveringChannel;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ClusterPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cluster that lives in memory: {@code n} {@link FakeMember}s sharing one set of keyrings, and a
 * {@link FakeRouter} over them. Tests open channels on it as an application would on a real
 * cluster, through the same recovering channel, then inject faults into single members.
 *
 * <pre>{@code
 * FakeCluster cluster = new FakeCluster(2);
 * cluster.createKeyring("app", "app-password");
 * KeyringChannel ch = cluster.openChannel("app");
 * ch.login(Role.KRCO, "app-password");
 * cluster.member(0).loseSessions(); // the next call is logged in again on its own
 * }</pre>
 *
 * <p>The cluster keeps a log position per write and a primary (member 0 at first, {@link
 * #primary(int)}); the channels it opens form one client, whose read-your-writes position ({@link
 * #clientPosition()}) the members honour as real ones do (see {@link FakeMember#lagBehind()}).
 */
public final class FakeCluster {
  private final List<FakeMember> members;
  private final FakeRouter router;
  private final List<FakeKeyring> keyrings = new CopyOnWriteArrayList<>();
  private final Map<UUID, FakeKeyring> byId = new ConcurrentHashMap<>();
  private final UUID id = UUID.randomUUID();
  // the cluster's log: the position of the last write
  private final AtomicLong log = new AtomicLong();
  // the client's read-your-writes position, as its transports would keep it
  private final ReadYourWrites positions = new ReadYourWrites();
  private volatile FakeMember primary;

  /** A cluster of {@code members} members, named m1, m2, ... */
  public FakeCluster(int members) {
    if (members < 1 || members > 16) {
      throw new IllegalArgumentException("a fake cluster has 1 to 16 members, got " + members);
    }
    List<FakeMember> list = new ArrayList<>();
    for (int i = 1; i <= members; i++) {
      list.add(new FakeMember("m" + i, this));
    }
    this.members = List.copyOf(list);
    this.primary = this.members.get(0);
    this.router = new FakeRouter(this.members);
    positions.bindTo(id);
  }

  /** Makes member {@code index} the primary (member 0 is, at first). */
  public void primary(int index) {
    FakeMember m = members.get(index);
    if (m.isLagging()) {
      throw new IllegalStateException(m.name() + " lags behind: let it catch up first");
    }
    primary = m;
  }

  /** The primary: it holds every write and answers what only the primary may. */
  public FakeMember primary() {
    return primary;
  }

  /** The position of the cluster's last write (0 before any). */
  public long head() {
    return log.get();
  }

  /**
   * The position the client of this cluster (every channel it opens) sends with its calls: the
   * highest position reported to its writes and its reads from the primary; null before any.
   */
  public ClusterPosition clientPosition() {
    return positions.current();
  }

  /** A member reported position {@code sequence} to the client. */
  void reported(long sequence) {
    positions.advance(new ClusterPosition(id, 1, sequence));
  }

  /**
   * Creates an object as another client of the cluster would: every member that is caught up holds
   * it, but the channels of this cluster do not learn its position.
   */
  public KeyringObject createObjectAsAnotherClient(String labelOrId, Attributes template) {
    return FakeKeys.createObject(keyring(labelOrId), template).toKeyringObject();
  }

  /** From now on, every member fails to destroy object {@code handle} (CKR_FUNCTION_FAILED). */
  public void refuseToDestroy(String labelOrId, long handle) {
    keyring(labelOrId).refuseToDestroy(handle);
  }

  /**
   * Creates a keyring ready for use: its initial password already changed to {@code password} and
   * its KRCO initialized, so that a KRCO login with {@code password} may use keys at once.
   */
  public UUID createKeyring(String label, String password) {
    return add(label, password, true);
  }

  /**
   * Creates a keyring as the partition CO does: {@code initialPassword} belongs to the KRSO and
   * must be changed, then the KRSO initializes the KRCO.
   */
  public UUID createNewKeyring(String label, String initialPassword) {
    return add(label, initialPassword, false);
  }

  private synchronized UUID add(String label, String password, boolean initialized) {
    if (label == null || label.isEmpty()) {
      throw new IllegalArgumentException("a keyring needs a label");
    }
    for (FakeKeyring k : keyrings) {
      if (k.label().equals(label)) {
        throw new IllegalArgumentException(
            "the fake cluster already has a keyring '" + label + "'");
      }
    }
    FakeKeyring k = new FakeKeyring(UUID.randomUUID(), label, password, initialized, log);
    keyrings.add(k);
    byId.put(k.id(), k);
    return k.id();
  }

  /** Member {@code index} (from 0, in the router's order). */
  public FakeMember member(int index) {
    return members.get(index);
  }

  public List<FakeMember> members() {
    return members;
  }

  /** The router the channels this cluster opens route by. */
  public FakeRouter router() {
    return router;
  }

  /**
   * Opens a channel on keyring {@code labelOrId}, as {@code KeyringClient.openSession} does on a
   * real cluster: the recovering channel over this cluster's router.
   *
   * @throws dev.keyring.protocol.HsmException CKR_SLOT_ID_INVALID if there is no such keyring
   */
  public KeyringChannel openChannel(String labelOrId) throws TransportException {
    return RecoveringChannel.open(router, labelOrId, c -> {});
  }

  /**
   * As {@link #openChannel(String)}, the channel's repeatable reads hedged and given deadlines as
   * {@code hedging} says (the test closes {@code hedging}).
   */
  public KeyringChannel openChannel(String labelOrId, Hedging hedging) throws TransportException {
    return RecoveringChannel.open(router, hedging, labelOrId, c -> {});
  }

  /**
   * The objects of keyring {@code labelOrId} as a member lists them (no secret parts), in handle
   * order: what a test inspects to see that a write happened, once.
   */
  public List<KeyringObject> objects(String labelOrId) {
    List<KeyringObject> out = new ArrayList<>();
    for (FakeObject o : keyring(labelOrId).find(Attributes.empty())) {
      out.add(o.toKeyringObject());
    }
    return List.copyOf(out);
  }

  /** Sessions open on every member together (0 once every channel was closed). */
  public int openSessions() {
    return members.stream().mapToInt(FakeMember::openSessions).sum();
  }

  /** The keyring with this UUID or label; CKR_SLOT_ID_INVALID when there is none. */
  FakeKeyring keyring(String labelOrId) {
    if (labelOrId != null && labelOrId.length() == 36) {
      try {
        FakeKeyring k = byId.get(UUID.fromString(labelOrId));
        if (k != null) {
          return k;
        }
      } catch (IllegalArgumentException notUuid) {
        // a label of 36 characters
      }
    }
    for (FakeKeyring k : keyrings) {
      if (k.label().equals(labelOrId)) {
        return k;
      }
    }
    throw new HsmException(
        ResultCode.CKR_SLOT_ID_INVALID, "no keyring has the UUID or label '" + labelOrId + "'");
  }

  List<Slot> slots() {
    List<Slot> out = new ArrayList<>();
    long n = 0;
    for (FakeKeyring k : keyrings) {
      out.add(k.slot(n++));
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return "FakeCluster[" + members.size() + " members, " + keyrings.size() + " keyrings]";
  }
}
