package dev.keyring.benchmarks;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.Role;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.embedded.ScaleFill;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A member's store at full scale against a small one: one member process (the testing module's
 * {@link ClusterHarness}, mutual TLS on loopback, the client's default wire) whose store holds
 * 1,000 objects (4 keyrings of 250), then 896,000 (3,500 keyrings of 256), on an H2 file and on
 * PostgreSQL. The keyrings are created through the member's admin API; the member is stopped and
 * its store filled with real EC P-256 key pairs generated inside the boundary ({@link ScaleFill});
 * the member is started again and measured:
 *
 * <ul>
 *   <li>start: from launching the member's JVM until its ready line, and until a client's first
 *       find-by-label is answered (the member serves);
 *   <li>heap: used heap after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}), after the
 *       start and after the measurement; the member's JVM runs with the default maximum heap (a
 *       quarter of the machine's memory), which caps nothing here;
 *   <li>find-by-label: 2,000 finds (after 200 to warm up) of a random label's private key in a
 *       random keyring among {@value #SAMPLE} (all 4 in the small store) with a session logged in,
 *       through the client, p50/p99;
 *   <li>cold sign: the first signature with a key not used since the start (its handle found
 *       before, untimed; the member unwraps its blob and signs), up to 500 keys, after 20 other
 *       keys signed 10 times each to warm the code path, p50/p99.
 * </ul>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.keyring.benchmarks.StoreScaleMain
 * [--only h2|postgresql] [--keyrings N] [jdbc:postgresql://...?user=..&password=..]} (the URL
 * defaults to {@code KEYRING_TEST_JDBC_URL}; without either, H2 alone). PostgreSQL runs in schemas
 * of their own, dropped at the end. It prints a Markdown table and the ratios large/small.
 */
public final class StoreScaleMain {
  private static final int SAMPLE = 100;
  private static final int FINDS = 2_000;
  private static final int WARM_FINDS = 200;
  private static final int COLD_SIGNS = 500;
  private static final int WARM_KEYS = 20;
  private static final String INITIAL = "scale-initial-1";
  private static final String PASSWORD = "scale-password-2";
  private static final byte[] DATA = "scale".getBytes(StandardCharsets.UTF_8);
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  private StoreScaleMain() {}

  /** One measured member. */
  record Row(
      String store,
      int objects,
      long fillMillis,
      long readyMillis,
      long servingMillis,
      double heapStartMib,
      double heapAfterMib,
      double findP50,
      double findP99,
      int coldSigns,
      double signP50,
      double signP99) {}

  public static void main(String[] args) throws Exception {
    MemberProcess.jvmDefaultsUnlessSet(); // members measured as they run in production
    String only = null;
    int keyrings = 3_500;
    String url = System.getenv("KEYRING_TEST_JDBC_URL");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--only" -> only = args[++i];
        case "--keyrings" -> keyrings = Integer.parseInt(args[++i]);
        default -> url = args[i];
      }
    }
    if (only != null && !only.equals("h2") && !only.equals("postgresql")) {
      throw new IllegalArgumentException("--only is h2 or postgresql, not " + only);
    }
    if (keyrings < 4 || keyrings > 3_500) {
      throw new IllegalArgumentException("--keyrings is 4 to 3500, not " + keyrings);
    }
    Path dir = Files.createTempDirectory("keyring-store-scale");
    List<Row> rows = new ArrayList<>();
    try {
      if (only == null || only.equals("h2")) {
        rows.add(run(dir.resolve("h2-small"), "H2 file", null, 4, 125));
        rows.add(run(dir.resolve("h2-large"), "H2 file", null, keyrings, 128));
      }
      if ((only == null || only.equals("postgresql")) && url != null) {
        rows.add(run(dir.resolve("pg-small"), "PostgreSQL", url, 4, 125));
        rows.add(run(dir.resolve("pg-large"), "PostgreSQL", url, keyrings, 128));
      } else if ("postgresql".equals(only)) {
        throw new IllegalArgumentException("--only postgresql needs a jdbc:postgresql: URL");
      }
    } finally {
      TempTrees.delete(dir);
    }
    print(rows);
  }

  private static Row run(Path dir, String name, String baseUrl, int keyrings, int pairs)
      throws Exception {
    String schema = "scale_" + Long.toHexString(System.nanoTime());
    String url = null;
    Map<String, String> settings = new LinkedHashMap<>();
    if (baseUrl != null) {
      url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
      // the schema exists before the member opens its store in it
      KeyringStore.open(StoreConfig.builder().jdbcUrl(baseUrl).schema(schema).build()).close();
      settings.put("storeJdbcUrl", url);
    }
    try (ClusterHarness h = ClusterHarness.create(dir, 1)) {
      h.startMember(0, settings);
      h.provisionPartition(0);
      h.createCluster();
      for (int from = 0; from < keyrings; from += 100) {
        h.createKeyrings(0, "ring", INITIAL, Math.min(100, keyrings - from), from);
      }
      Path conf = h.registerClient(0, "scale-client", dir.resolve("client").resolve("client.conf"));
      List<String> sample = sample(keyrings);
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
        for (String label : sample) {
          try (KeyringChannel s = client.openSession(label)) {
            s.login(Role.KRSO, INITIAL);
            s.changePassword(INITIAL, PASSWORD);
            s.initKrco(PASSWORD);
            s.logout();
          }
        }
      }
      MemberProcess m = h.member(0);
      m.stop();
      long fillMillis = fill(dir.resolve("member0").resolve("data"), url, pairs, name);
      long t0 = System.nanoTime();
      m.restart();
      long ready = (System.nanoTime() - t0) / 1_000_000;
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
        List<KeyringChannel> sessions = new ArrayList<>();
        try {
          sessions.add(firstServed(client, sample.get(0), t0));
          long serving = (System.nanoTime() - t0) / 1_000_000;
          double heapStart = heapMib(m.pid());
          for (String label : sample.subList(1, sample.size())) {
            KeyringChannel s = client.openSession(label);
            sessions.add(s);
            s.login(Role.KRCO, PASSWORD);
          }
          Random random = new Random(11);
          for (int i = 0; i < WARM_FINDS; i++) {
            find(sessions.get(random.nextInt(sessions.size())), randomLabel(random, pairs));
          }
          long[] finds = new long[FINDS];
          for (int i = 0; i < FINDS; i++) {
            KeyringChannel s = sessions.get(random.nextInt(sessions.size()));
            String label = randomLabel(random, pairs);
            long f0 = System.nanoTime();
            find(s, label);
            finds[i] = System.nanoTime() - f0;
          }
          long[] signs = coldSigns(sessions, pairs, random);
          double heapAfter = heapMib(m.pid());
          return new Row(
              name,
              keyrings * 2 * pairs,
              fillMillis,
              ready,
              serving,
              heapStart,
              heapAfter,
              percentileMillis(finds, 50),
              percentileMillis(finds, 99),
              signs.length,
              percentileMillis(signs, 50),
              percentileMillis(signs, 99));
        } finally {
          for (KeyringChannel s : sessions) {
            s.close();
          }
        }
      }
    } finally {
      if (baseUrl != null) {
        dropSchema(baseUrl, schema);
      }
    }
  }

  /**
   * A session logged in on {@code keyring} whose first find was answered: asked again until the
   * restarted member serves (up to 120 s after {@code t0}).
   */
  private static KeyringChannel firstServed(KeyringClient client, String keyring, long t0)
      throws Exception {
    while (true) {
      KeyringChannel s = null;
      try {
        s = client.openSession(keyring);
        s.login(Role.KRCO, PASSWORD);
        find(s, ScaleFill.label(0));
        return s;
      } catch (Exception e) {
        if (s != null) {
          s.close();
        }
        if (System.nanoTime() - t0 > 120_000_000_000L) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  /** The member's store, filled while it is stopped. */
  private static long fill(Path data, String url, int pairs, String name) throws Exception {
    ApplianceConfig.Builder config = ApplianceConfig.builder().dataDir(data).kdfIterations(10_000);
    if (url != null) {
      config.store(StoreConfig.builder().jdbcUrl(url).build());
    }
    try (Appliance a = Appliance.open(config.build())) {
      List<UUID> ids = a.keyrings().keyrings().stream().map(KeyringRecord::id).toList();
      ScaleFill.Result r =
          ScaleFill.fill(
              a,
              ids,
              pairs,
              2,
              n -> {
                if (n % 250 == 0) {
                  System.err.printf("%s: %,d of %,d keyrings filled%n", name, n, ids.size());
                }
              });
      System.err.printf(
          "%s: %,d objects in %,d keyrings filled in %,d ms%n",
          name, r.objects(), r.keyrings(), r.millis());
      return r.millis();
    }
  }

  /** The keyrings the client uses: all of a small store, {@value #SAMPLE} at random of a large. */
  private static List<String> sample(int keyrings) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < keyrings; i++) {
      all.add("ring" + i);
    }
    Collections.shuffle(all, new Random(3));
    return List.copyOf(all.subList(0, Math.min(SAMPLE, keyrings)));
  }

  private static String randomLabel(Random random, int pairs) {
    return ScaleFill.label(random.nextInt(pairs));
  }

  /** Finds the private key labelled {@code label}: exactly one, or the run fails. */
  private static long find(KeyringChannel s, String label) throws Exception {
    List<KeyringObject> found =
        s.findObjects(
            Attributes.builder().objectClass(ObjectClass.PRIVATE_KEY).label(label).build());
    if (found.size() != 1) {
      throw new IllegalStateException(found.size() + " private keys labelled " + label);
    }
    return found.get(0).handle();
  }

  /** Warms the sign path on {@value #WARM_KEYS} keys, then times first signs with other keys. */
  private static long[] coldSigns(List<KeyringChannel> sessions, int pairs, Random random)
      throws Exception {
    Set<String> used = new HashSet<>();
    int available = sessions.size() * pairs;
    for (int i = 0; i < WARM_KEYS; i++) {
      int s = random.nextInt(sessions.size());
      int p = random.nextInt(pairs);
      if (!used.add(s + "/" + p)) {
        i--;
        continue;
      }
      long key = find(sessions.get(s), ScaleFill.label(p));
      for (int j = 0; j < 10; j++) {
        sessions.get(s).sign(key, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
      }
    }
    int n = Math.min(COLD_SIGNS, available - WARM_KEYS);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      int s = random.nextInt(sessions.size());
      int p = random.nextInt(pairs);
      if (!used.add(s + "/" + p)) {
        i--;
        continue;
      }
      long key = find(sessions.get(s), ScaleFill.label(p));
      long t0 = System.nanoTime();
      sessions.get(s).sign(key, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
      out[i] = System.nanoTime() - t0;
    }
    return out;
  }

  /** The member's used heap after a full GC, in MiB, from {@code jcmd}. */
  private static double heapMib(long pid) throws Exception {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher used = HEAP_USED.matcher(info);
    if (!used.find()) {
      throw new IllegalStateException("no used heap in jcmd GC.heap_info:\n" + info);
    }
    return Long.parseLong(used.group(1)) / 1024.0;
  }

  private static String jcmd(long pid, String command) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + out);
    }
    return out;
  }

  private static double percentileMillis(long[] nanos, int pct) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int i = (int) Math.ceil(pct / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, i)] / 1e6;
  }

  private static void dropSchema(String url, String schema) {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (Exception e) {
      System.err.println("could not drop schema " + schema + ": " + e.getMessage());
    }
  }

  private static void print(List<Row> rows) {
    System.out.println(
        "| store | objects | fill s | start to ready s | start to serving s | heap after start"
            + " MiB | heap after run MiB | find p50 ms | find p99 ms | cold signs | cold sign p50"
            + " ms | cold sign p99 ms |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Row r : rows) {
      System.out.printf(
          Locale.ROOT,
          "| %s | %,d | %.1f | %.2f | %.2f | %.0f | %.0f | %.2f | %.2f | %d | %.2f | %.2f |%n",
          r.store(),
          r.objects(),
          r.fillMillis() / 1000.0,
          r.readyMillis() / 1000.0,
          r.servingMillis() / 1000.0,
          r.heapStartMib(),
          r.heapAfterMib(),
          r.findP50(),
          r.findP99(),
          r.coldSigns(),
          r.signP50(),
          r.signP99());
    }
    System.out.println();
    System.out.println(
        "| store | find p50 large/small | find p99 large/small | cold sign p50 large/small |"
            + " cold sign p99 large/small |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (int i = 0; i + 1 < rows.size(); i += 2) {
      Row small = rows.get(i);
      Row large = rows.get(i + 1);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.2f | %.2f | %.2f | %.2f |%n",
          small.store(),
          large.findP50() / small.findP50(),
          large.findP99() / small.findP99(),
          large.signP50() / small.signP50(),
          large.signP99() / small.signP99());
    }
  }
}
