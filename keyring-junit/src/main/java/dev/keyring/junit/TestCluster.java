package dev.keyring.junit;

import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * The cluster of a {@link KeyringCluster} test class, as a test parameter: where its client
 * configuration is, the keyring and its password, and, on a cluster of several members (processes),
 * the faults to inject. Members are numbered from 0; member 0 created the cluster. A call for a
 * member killed and not restarted, other than {@link #restart} and the link faults, is refused
 * ({@link IllegalStateException}), as is {@link #restart} of a member that runs.
 */
public final class TestCluster {
  private final int members;
  private final Path clientConfig;
  private final String keyring;
  private final String password;
  private final ClusterHarness harness;
  private final IntFunction<String> metrics;

  TestCluster(
      int members,
      Path clientConfig,
      String keyring,
      String password,
      ClusterHarness harness,
      IntFunction<String> metrics) {
    this.members = members;
    this.metrics = metrics;
    this.clientConfig = clientConfig;
    this.keyring = keyring;
    this.password = password;
    this.harness = harness;
  }

  /** How many members the cluster was started with. */
  public int members() {
    return members;
  }

  /** The registered client's configuration ({@code Chrystoki.conf} syntax). */
  public Path clientConfig() {
    return clientConfig;
  }

  /** The keyring's label. */
  public String keyring() {
    return keyring;
  }

  /** The keyring's KRSO/KRCO password. */
  public String password() {
    return password;
  }

  /**
   * Member {@code i}'s metrics as Prometheus scrapes them: {@code GET /metrics} on its admin API,
   * as the appliance user {@code admin} (see docs/metrics.md).
   */
  public String metrics(int i) {
    if (harness != null) {
      running("metrics", i);
    }
    return metrics.apply(check(i));
  }

  /** SIGKILL of member {@code i}, as a crash. */
  public void kill(int i) throws InterruptedException {
    running("kill", i).kill();
  }

  /** Starts member {@code i} again on its data after {@link #kill}. */
  public void restart(int i) throws Exception {
    MemberProcess m = faults("restart").member(check(i));
    if (m.isAlive()) {
      throw new IllegalStateException(
          "restart("
              + i
              + "): member "
              + i
              + " is running; restart starts a member again after kill("
              + i
              + ")");
    }
    m.restart();
  }

  /**
   * Authorizes member {@code i} with the partition CO's credential. A member started again after a
   * {@link #kill} takes its authorization from an authorized member that stayed active; when every
   * member was killed, the first one back stays unauthorized (it signs, but refuses new keys and
   * keyrings) until this is called for it, and the others then take their authorization from it.
   */
  public void authorize(int i) {
    running("authorize", i);
    harness.authorize(i);
  }

  /** Whether member {@code i} reports itself authorized. */
  public boolean authorized(int i) {
    running("authorized", i);
    return harness.authorized(i);
  }

  /** SIGSTOP of member {@code i}: it hangs with its connections open. */
  public void pause(int i) throws Exception {
    running("pause", i).pause();
  }

  /** SIGCONT after {@link #pause}. */
  public void resume(int i) throws Exception {
    running("resume", i).resume();
  }

  /** Cuts the links between members {@code a} and {@code b}, both ways. */
  public void cut(int a, int b) {
    ClusterHarness h = faults("cut");
    if (check(a) == check(b)) {
      throw new IllegalArgumentException(
          "cut(a, b) cuts the links between two members, got member " + a + " twice");
    }
    h.cut(a, b);
  }

  /** Cuts every link between member {@code i} and the other members (clients still reach it). */
  public void isolate(int i) {
    faults("isolate").isolate(check(i));
  }

  /** Cuts the link from clients to member {@code i}. */
  public void cutClients(int i) {
    faults("cutClients").clientLink(check(i)).cut();
  }

  /** Restores every link. */
  public void heal() {
    faults("heal").healAll();
  }

  private ClusterHarness faults(String what) {
    if (harness == null) {
      throw new UnsupportedOperationException(
          what
              + " needs members as processes: use @KeyringCluster(members = 2) or more (a"
              + " one-member cluster runs in the test's JVM)");
    }
    return harness;
  }

  /** Member {@code i}'s process (its output, whether it runs), for this module's tests. */
  MemberProcess process(int i) {
    return faults("process").member(check(i));
  }

  /** Member {@code i}, which must run: the faults of a member killed already are refused. */
  private MemberProcess running(String what, int i) {
    MemberProcess m = faults(what).member(check(i));
    if (!m.isAlive()) {
      throw new IllegalStateException(
          what + "(" + i + "): member " + i + " is not running (killed): restart(" + i + ") first");
    }
    return m;
  }

  private int check(int i) {
    if (i < 0 || i >= members) {
      throw new IllegalArgumentException(
          "member index must be 0 to " + (members - 1) + ", got " + i);
    }
    return i;
  }

  @Override
  public String toString() {
    return "TestCluster[" + members + " member(s), keyring " + keyring + "]";
  }
}
