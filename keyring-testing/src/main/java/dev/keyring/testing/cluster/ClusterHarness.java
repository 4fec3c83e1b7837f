package dev.keyring.testing.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.admin.Provisioning;
import dev.keyring.testing.cli.CliRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.BooleanSupplier;

/**
 * Up to N members as separate JVMs on loopback (each binds port 0 and reports its ports; see {@link
 * MemberProcess}), each with its own data directory, and a fault-injecting TCP proxy on every link:
 * one in front of each member's crypto API for clients (the address the member advertises), and one
 * for each ordered pair of members (member i reaches member j's crypto API through {@code link(i,
 * j)}, by a peer route in i's settings). The member's binary crypto channel has a proxy of its own
 * ({@link #channelLink(int)}, the channel port the member advertises), the companion of its client
 * proxy: a fault on {@link #clientLink(int)} cuts both wires. Links can be cut, blackholed, delayed
 * and restored; members can be killed with SIGKILL and restarted (on new ports: the proxies
 * follow). The harness provisions through the members' admin REST API; {@link MemberProcess#sim}
 * runs the admin CLI as an operator would.
 */
public final class ClusterHarness implements AutoCloseable {
  public static final String ADMIN_PW = Provisioning.ADMIN_PW;
  public static final String SO = Provisioning.SO;
  public static final String PO = Provisioning.PO;
  public static final String CO = Provisioning.CO;
  public static final String DOMAIN = "harness-domain";
  public static final String PARTITION = Provisioning.PARTITION;

  private final Path dir;
  private final int capacity;
  private final FaultProxy[] clientProxies;
  private final FaultProxy[] channelProxies;
  private final FaultProxy[][] links;
  private final MemberProcess[] members;
  private String clusterId;

  private ClusterHarness(Path dir, int capacity) throws Exception {
    this.dir = dir;
    this.capacity = capacity;
    this.clientProxies = new FaultProxy[capacity];
    this.channelProxies = new FaultProxy[capacity];
    this.links = new FaultProxy[capacity][capacity];
    this.members = new MemberProcess[capacity];
    for (int i = 0; i < capacity; i++) {
      int to = i;
      channelProxies[i] = FaultProxy.start(() -> channelAddress(to));
      clientProxies[i] = FaultProxy.start(() -> cryptoAddress(to)).alsoApplyTo(channelProxies[i]);
      for (int j = 0; j < capacity; j++) {
        if (i != j) {
          int peer = j;
          links[i][j] = FaultProxy.start(() -> cryptoAddress(peer));
        }
      }
    }
  }

  /** Where member {@code i}'s crypto API listens now; null while it does not run. */
  private java.net.InetSocketAddress cryptoAddress(int i) {
    MemberProcess m;
    synchronized (members) { // asked from the proxies' threads
      m = members[i];
    }
    return m == null ? null : m.cryptoAddress();
  }

  /** Where member {@code i}'s crypto channel listens now; null while that is not known. */
  private java.net.InetSocketAddress channelAddress(int i) {
    MemberProcess m;
    synchronized (members) {
      m = members[i];
    }
    return m == null ? null : m.channelAddress();
  }

  /** Proxies for {@code capacity} members; no member runs yet. */
  public static ClusterHarness create(Path dir, int capacity) throws Exception {
    return new ClusterHarness(dir, capacity);
  }

  /**
   * Starts {@code n} members: their JVMs all at once, then the first provisioned and holding a new
   * cluster (authorized), the others provisioned and joined one at a time.
   */
  public static ClusterHarness startCluster(Path dir, int n, int capacity) throws Exception {
    ClusterHarness h = create(dir, capacity);
    try {
      h.startMembers(n);
      h.provisionPartition(0);
      h.createCluster();
      for (int i = 1; i < n; i++) {
        h.provisionPartition(i);
        h.join(i, 0);
      }
      return h;
    } catch (Exception | Error e) {
      h.close();
      throw e;
    }
  }

  /**
   * Starts members {@code 0} to {@code n - 1}, their JVMs side by side (each start is mostly the
   * JVM's own start-up), and returns once each serves or one failed (the first failure thrown).
   */
  public void startMembers(int n) throws Exception {
    List<FutureTask<MemberProcess>> starts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int member = i;
      FutureTask<MemberProcess> t = new FutureTask<>(() -> startMember(member));
      starts.add(t);
      Thread thread = new Thread(t, "start-member-" + i);
      thread.setDaemon(true);
      thread.start();
    }
    Exception failed = null;
    for (FutureTask<MemberProcess> t : starts) {
      try {
        t.get();
      } catch (ExecutionException e) {
        if (failed == null) {
          failed = e.getCause() instanceof Exception ex ? ex : e;
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  public MemberProcess startMember(int i) throws Exception {
    return startMember(i, Map.of());
  }

  /** Starts member {@code i} with extra settings (e.g. {@code clockOffsetSeconds}). */
  public MemberProcess startMember(int i, Map<String, String> extra) throws Exception {
    Map<String, String> settings = new LinkedHashMap<>(extra);
    settings.put("advertisedCryptoAddress", advertised(i));
    settings.putIfAbsent("advertisedChannelPort", Integer.toString(channelProxies[i].port()));
    for (int j = 0; j < capacity; j++) {
      if (j != i) {
        settings.put("peerRoute." + advertised(j), "127.0.0.1:" + links[i][j].port());
      }
    }
    MemberProcess m = MemberProcess.start(dir.resolve("member" + i), ADMIN_PW, settings);
    synchronized (members) {
      members[i] = m;
    }
    return m;
  }

  private String advertised(int i) {
    return "127.0.0.1:" + clientProxies[i].port();
  }

  public MemberProcess member(int i) {
    return members[i];
  }

  public String clusterId() {
    return clusterId;
  }

  /** HSM, V1 partition in the harness's cloning domain, policy 40 = 0, CO with its own password. */
  public void provisionPartition(int i) {
    Provisioning.prepareHsm(members[i].rest(), "hsm" + i, DOMAIN);
  }

  /** Creates the cluster on member 0 and authorizes it. */
  public String createCluster() {
    AdminRestClient rest = members[0].rest();
    JsonNode created = Provisioning.createCluster(rest, "harness-cluster");
    check(
        created.path("warning").isMissingNode() || created.path("warning").isNull(),
        () -> "the cluster was created with a warning:\n" + created + "\n" + members[0].output());
    clusterId = created.path("clusterUUID").asText();
    members[0].cryptoPort(); // its crypto API started with the cluster: learn the port
    Provisioning.authorize(rest, clusterId, localMemberId(0));
    return clusterId;
  }

  /**
   * Authorizes member {@code i} with the partition CO's credential: what the operator does for the
   * first member back after every member failed, or a lone member back from a crash.
   */
  public void authorize(int i) {
    Provisioning.authorize(members[i].rest(), clusterId, localMemberId(i));
  }

  /** Whether member {@code i} reports itself authorized ({@code authorized} of its own entry). */
  public boolean authorized(int i) {
    for (JsonNode m :
        members[i]
            .rest()
            .send("GET", "/api/clusters/" + clusterId + "/members", "admin", ADMIN_PW, null)
            .expect(200)
            .json()
            .path("data")) {
      if (m.path("local").asBoolean()) {
        return m.path("authorized").asBoolean();
      }
    }
    throw new IllegalStateException("member " + i + " does not list itself");
  }

  /** The members as member {@code i} lists them ({@code GET /api/clusters/{id}/members}). */
  public JsonNode members(int i) {
    return members[i]
        .rest()
        .send("GET", "/api/clusters/" + clusterId + "/members", "admin", ADMIN_PW, null)
        .expect(200)
        .json()
        .path("data");
  }

  /** The ID of member {@code i} as it lists itself. */
  public String localMemberId(int i) {
    return Provisioning.localMemberId(members[i].rest(), clusterId);
  }

  /**
   * Member {@code i} joins through member {@code through}, by the admin CLI, and this returns once
   * the new member reaches the primary (its mode is read-write): a member that has just joined
   * refuses writes as read-only until its first exchanges with the primary, a heartbeat or two. A
   * join refused fails with the output of both members, the joiner's and the one joined through.
   */
  public MemberProcess.SimRun join(int i, int through) throws InterruptedException {
    MemberProcess.SimRun joined = members[i].sim(joinArgs(i, through));
    check(
        joined.exit() == 0,
        () ->
            String.join(" ", joinArgs(i, through))
                + "\n"
                + joined
                + "\n--- member "
                + i
                + " (the joiner)\n"
                + members[i].output()
                + "\n--- member "
                + through
                + " (joined through)\n"
                + members[through].output());
    await(
        "member " + i + " reaches the primary after its join (read-write)",
        Duration.ofSeconds(60),
        () -> "Read-Write".equals(state(i).mode()));
    return joined;
  }

  /** The join command line of member {@code i} through member {@code through}. */
  public String[] joinArgs(int i, int through) {
    return new String[] {
      "cluster",
      "join",
      "-clusterid",
      clusterId,
      "-remoteip",
      "127.0.0.1",
      "-remoteport",
      Integer.toString(members[through].adminPort()),
      "-remotepassword",
      ADMIN_PW,
      "-partition",
      PARTITION,
      "-copassword",
      CO
    };
  }

  /** Creates {@code total} keyrings labelled {@code label + index...} through member {@code i}. */
  public void createKeyrings(int i, String label, String password, int total, int index) {
    Provisioning.createKeyrings(members[i].rest(), label, password, total, index);
  }

  /**
   * Registers a client with member {@code i}; its configuration file is written to {@code conf}.
   */
  public Path registerClient(int i, String name, Path conf) {
    CliRun r =
        CliRun.run(
            RegisterCommand::run,
            Map.of(RegisterCommand.PASSWORD_ENV, ADMIN_PW),
            "-n",
            name,
            "-i",
            "127.0.0.1:" + members[i].adminPort(),
            "-c",
            clusterId,
            "--config",
            conf.toString(),
            "--admin-fingerprint",
            members[i].fingerprint());
    check(r.exit() == RegisterCommand.OK, () -> "client registration failed: " + r);
    return conf;
  }

  /** What member {@code i} reports of its replicated state. */
  public record State(
      String name,
      String position,
      int keyrings,
      String digest,
      String mode,
      int openSessions,
      long cryptoRequests) {}

  public State state(int i) {
    JsonNode r =
        members[i]
            .rest()
            .send("GET", "/api/clusters/" + clusterId + "/state", "admin", ADMIN_PW, null)
            .expect(200)
            .json();
    return new State(
        r.path("memberName").asText(),
        r.path("logEpoch").asText() + ":" + r.path("sequence").asText(),
        r.path("keyrings").asInt(),
        r.path("digest").asText(),
        r.path("mode").asText(),
        r.path("openSessions").asInt(),
        r.path("cryptoRequests").asLong());
  }

  /** The states of the running members, in member order. */
  public List<State> liveStates() {
    List<State> out = new ArrayList<>();
    for (int i = 0; i < capacity; i++) {
      if (members[i] != null && members[i].isAlive()) {
        out.add(state(i));
      }
    }
    return out;
  }

  /** Waits until every running member reports the same position and digest; returns it. */
  public State awaitConverged(Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    List<State> last = List.of();
    while (System.nanoTime() < deadline) {
      last = liveStates();
      if (!last.isEmpty()
          && last.stream().map(State::digest).distinct().count() == 1
          && last.stream().map(State::position).distinct().count() == 1) {
        return last.get(0);
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("members did not converge within " + within + ": " + last);
  }

  /** Waits for a condition (cluster state settles over heartbeats: about 1.5 s). */
  public static void await(String what, Duration within, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not within " + within + ": " + what);
      }
      Thread.sleep(100);
    }
  }

  /** The member list as member {@code i} prints it. */
  public String memberList(int i) {
    return ok(members[i], "cluster", "member", "list").out();
  }

  // ------------------------------------------------------------------ faults

  /** The proxy member {@code from} reaches member {@code to} through. */
  public FaultProxy link(int from, int to) {
    return links[from][to];
  }

  /**
   * The proxy clients reach member {@code i}'s crypto API through; its faults reach the member's
   * channel proxy ({@link #channelLink(int)}) too.
   */
  public FaultProxy clientLink(int i) {
    return clientProxies[i];
  }

  /** The proxy clients reach member {@code i}'s binary crypto channel through. */
  public FaultProxy channelLink(int i) {
    return channelProxies[i];
  }

  /** Cuts both directions between two members. */
  public void cut(int a, int b) {
    links[a][b].cut();
    links[b][a].cut();
  }

  /** Cuts every link of member {@code i} to and from the other members (clients still reach it). */
  public void isolate(int i) {
    for (int j = 0; j < capacity; j++) {
      if (j != i) {
        cut(i, j);
      }
    }
  }

  /** Restores every link. */
  public void healAll() {
    for (int i = 0; i < capacity; i++) {
      clientProxies[i].restore(); // and its channel proxy
      for (int j = 0; j < capacity; j++) {
        if (links[i][j] != null) {
          links[i][j].restore();
        }
      }
    }
  }

  public static MemberProcess.SimRun ok(MemberProcess m, String... args) {
    MemberProcess.SimRun r = m.sim(args);
    check(r.exit() == 0, () -> String.join(" ", args) + "\n" + r + "\n" + m.output());
    return r;
  }

  private static void check(boolean ok, java.util.function.Supplier<String> what) {
    if (!ok) {
      throw new IllegalStateException(what.get());
    }
  }

  /**
   * SIGCONT to every member that runs: a member paused by {@link MemberProcess#pause()} answers
   * again (nothing changes for one not paused). {@link #close()} does it first, since a paused
   * member takes no SIGTERM, and its sessions cannot be read for the leak check, until continued.
   */
  public void resumeAll() {
    for (MemberProcess m : members) {
      if (m != null && m.isAlive()) {
        try {
          m.resume();
        } catch (java.io.IOException e) {
          // it ended meanwhile: nothing to continue
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Override
  public void close() {
    resumeAll();
    for (MemberProcess m : members) {
      if (m != null) {
        m.close();
      }
    }
    for (int i = 0; i < capacity; i++) {
      clientProxies[i].close();
      channelProxies[i].close();
      for (int j = 0; j < capacity; j++) {
        if (links[i][j] != null) {
          links[i][j].close();
        }
      }
    }
  }
}
