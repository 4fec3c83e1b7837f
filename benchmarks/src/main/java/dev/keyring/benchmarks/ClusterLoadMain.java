package dev.keyring.benchmarks;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Role;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load driver over a real three-member cluster (members as their own JVMs, proxies on every
 * link), signing with P-256 ECDSA through the provider from application threads. In one run:
 *
 * <ol>
 *   <li>after a 20 s warm-up over all members, sign throughput through one member (the other two
 *       moved to another affinity group, so the client keeps to its own group's single member),
 *       through three members (all in the client's group), and through one member again;
 *   <li>sign latency (p50, p99, max) and failed signatures before, across and after a {@code kill
 *       -9} of one member.
 * </ol>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.keyring.benchmarks.ClusterLoadMain
 * [threads] [seconds] [warm-up seconds] [svg file]} (defaults 8, 20, 60 and {@code
 * cluster-failover.svg}). It prints a Markdown table, and draws the run with the kill as an SVG
 * (sign latency p50, p99 and max per 250 ms, the kill marked, failed signs in red).
 */
public final class ClusterLoadMain {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";

  private ClusterLoadMain() {}

  public static void main(String[] args) throws Exception {
    MemberProcess.jvmDefaultsUnlessSet(); // members measured as they run in production
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    Path svg = Path.of(args.length > 3 ? args[3] : "cluster-failover.svg");
    Path dir = Files.createTempDirectory("keyring-cluster-load");
    System.err.println("starting 3 members in " + dir + " ...");
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 3, 3)) {
      h.createKeyrings(0, "app", INITIAL, 1, 100);
      Path conf =
          h.registerClient(0, "load-client", dir.resolve("client").resolve("Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app100")) {
        s.login(Role.KRSO, INITIAL);
        s.changePassword(INITIAL, PASSWORD);
        s.initKrco(PASSWORD);
        s.logout();
      }
      h.awaitConverged(Duration.ofSeconds(30));
      KeyringProvider provider = new KeyringProvider(conf);
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", provider);
        ks.load(
            new ByteArrayInputStream("slot=app100\n".getBytes(StandardCharsets.UTF_8)),
            PASSWORD.toCharArray());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(
            KeyringKeyGenParameterSpec.builder()
                .label("load")
                .keyring("app100")
                .curve("P-256")
                .build());
        KeyPair key = g.generateKeyPair();
        String m1 = h.localMemberId(1);
        String m2 = h.localMemberId(2);
        List<String> rows = new ArrayList<>();

        // warm-up over all three members (every JVM's JIT), then 1 and 3 members in turn, twice:
        // the JVMs keep warming for minutes on 2 cores, so each configuration is measured early and
        // late and compared by the mean of its two runs
        run(provider, key, threads, warmup, null);
        Result one = onOneMember(h, provider, key, threads, seconds, m1, m2);
        Result three = run(provider, key, threads, seconds, null);
        Result oneAgain = onOneMember(h, provider, key, threads, seconds, m1, m2);
        long before = h.state(1).cryptoRequests() + h.state(2).cryptoRequests();
        Result threeAgain = run(provider, key, threads, seconds, null);
        long served3 = h.state(1).cryptoRequests() + h.state(2).cryptoRequests() - before;
        rows.add(row("sign via 1 member (a)", one, one, ""));
        rows.add(row("sign via 3 members (a)", three, one, ""));
        rows.add(row("sign via 1 member (b)", oneAgain, one, ""));
        rows.add(row("sign via 3 members (b)", threeAgain, one, "members 1+2 served " + served3));
        double mean1 = (rate(one) + rate(oneAgain)) / 2;
        double mean3 = (rate(three) + rate(threeAgain)) / 2;
        String summary =
            String.format(
                "mean of (a) and (b): 1 member %,.0f ops/s, 3 members %,.0f ops/s, ratio %.2f×",
                mean1, mean3, mean3 / mean1);

        // 3. kill -9 of member 2 a third of the way through
        long killAtNanos = Duration.ofSeconds(seconds).toNanos() / 3;
        Result kill = run(provider, key, threads, seconds, new Kill(h, killAtNanos));
        rows.add(row("sign via 3 members, kill -9 of one at " + seconds / 3 + " s", kill, one, ""));
        rows.add(window("  before the kill", kill, 0, killAtNanos, one));
        rows.add(
            window(
                "  first 2 s after the kill",
                kill,
                killAtNanos,
                killAtNanos + Duration.ofSeconds(2).toNanos(),
                one));
        rows.add(
            window(
                "  after that",
                kill,
                killAtNanos + Duration.ofSeconds(2).toNanos(),
                Long.MAX_VALUE,
                one));

        List<LatencyChart.Point> points = new ArrayList<>();
        for (Sample p : kill.samples()) {
          points.add(new LatencyChart.Point(p.startNanos(), p.latencyNanos(), p.failed()));
        }
        LatencyChart.write(
            svg,
            String.format(
                "P-256 signs through the provider, %d threads, 3 member JVMs on %d cores:"
                    + " kill -9 of one member",
                threads, Runtime.getRuntime().availableProcessors()),
            points,
            kill.durationNanos(),
            Duration.ofMillis(250).toNanos(),
            List.of(new LatencyChart.Mark(killAtNanos, "kill -9 member 2")));
        System.err.println("chart written to " + svg.toAbsolutePath());

        System.out.println();
        System.out.printf(
            "P-256 ECDSA signatures through the provider, %d threads, %d s per row, 3 members as"
                + " separate JVMs on %d cores%n%n",
            threads, seconds, Runtime.getRuntime().availableProcessors());
        System.out.println(
            "| run | signs | ops/s | vs 1 member | p50 ms | p99 ms | max ms | failed | note |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println(summary);
      } finally {
        provider.close();
      }
    }
  }

  /** Members 1 and 2 in another affinity group for the run: the client keeps to member 0. */
  private static Result onOneMember(
      ClusterHarness h,
      KeyringProvider provider,
      KeyPair key,
      int threads,
      int seconds,
      String m1,
      String m2)
      throws Exception {
    group(h, m1, "far");
    group(h, m2, "far");
    Thread.sleep(6_000); // the client's view refresh (5 s)
    Result r = run(provider, key, threads, seconds, null);
    group(h, m1, "local");
    group(h, m2, "local");
    Thread.sleep(6_000);
    return r;
  }

  private static void group(ClusterHarness h, String member, String group) {
    ClusterHarness.ok(
        h.member(0), "cluster", "member", "config", "-memberid", member, "-group", group);
  }

  /**
   * One signature's start time (relative to the run's start), its latency, and whether it failed.
   */
  private record Sample(long startNanos, long latencyNanos, boolean failed) {}

  private record Result(List<Sample> samples, long durationNanos) {
    long ok() {
      return samples.stream().filter(s -> !s.failed()).count();
    }

    long failed() {
      return samples.stream().filter(Sample::failed).count();
    }
  }

  /** Kills member 2 once the run is {@code atNanos} old. */
  private record Kill(ClusterHarness h, long atNanos) {}

  private static Result run(
      KeyringProvider provider, KeyPair key, int threads, int seconds, Kill kill) throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    List<List<Sample>> perThread = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    AtomicLong failures = new AtomicLong();
    byte[] msg = "load".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < threads; i++) {
      List<Sample> mine = new ArrayList<>(1 << 16);
      perThread.add(mine);
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  long t0 = System.nanoTime();
                  boolean failed = false;
                  try {
                    Signature sig = Signature.getInstance("SHA256withECDSA", provider);
                    sig.initSign(key.getPrivate());
                    sig.update(msg);
                    sig.sign();
                  } catch (Exception | Error e) {
                    failed = true;
                    if (failures.incrementAndGet() <= 5) {
                      System.err.println("failed sign: " + e);
                    }
                  }
                  long t1 = System.nanoTime();
                  mine.add(new Sample(t0 - start, t1 - t0, failed));
                }
              },
              "load-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    long end = start + Duration.ofSeconds(seconds).toNanos();
    if (kill != null) {
      Thread.sleep(Math.max(0, (start + kill.atNanos() - System.nanoTime()) / 1_000_000));
      kill.h().member(2).kill();
      System.err.println("member 2 killed (SIGKILL)");
    }
    Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
    running.set(false);
    for (Thread t : workers) {
      t.join(30_000);
    }
    List<Sample> all = new ArrayList<>();
    perThread.forEach(all::addAll);
    return new Result(all, System.nanoTime() - start);
  }

  private static double rate(Result r) {
    return r.ok() / (r.durationNanos() / 1e9);
  }

  private static String row(String name, Result r, Result base, String note) {
    return format(name, r.samples(), r.durationNanos(), base, note);
  }

  private static String window(String name, Result r, long from, long to, Result base) {
    List<Sample> in = new ArrayList<>();
    for (Sample s : r.samples()) {
      if (s.startNanos() >= from && s.startNanos() < to) {
        in.add(s);
      }
    }
    long span = Math.min(to, r.durationNanos()) - from;
    return format(name, in, span, base, "");
  }

  private static String format(
      String name, List<Sample> samples, long spanNanos, Result base, String note) {
    long ok = samples.stream().filter(s -> !s.failed()).count();
    long failed = samples.size() - ok;
    long[] lat =
        samples.stream().filter(s -> !s.failed()).mapToLong(Sample::latencyNanos).toArray();
    Arrays.sort(lat);
    double opsPerSec = ok / (spanNanos / 1e9);
    double baseOps = base.ok() / (base.durationNanos() / 1e9);
    return String.format(
        "| %s | %,d | %,.0f | %.2f× | %s | %s | %s | %d | %s |",
        name,
        ok,
        opsPerSec,
        opsPerSec / baseOps,
        ms(percentile(lat, 0.50)),
        ms(percentile(lat, 0.99)),
        ms(lat.length == 0 ? 0 : lat[lat.length - 1]),
        failed,
        note);
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, i)];
  }

  private static String ms(long nanos) {
    return String.format("%.2f", nanos / 1e6);
  }
}
