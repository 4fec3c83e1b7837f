package dev.keyring.testing.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.cli.CliRun;
import dev.keyring.testing.leak.SessionLeaks;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster member as its own JVM ({@code keyring-sim member}, started by main-class name on this
 * JVM's class path) on loopback, with its own data directory, so that it can be killed with SIGKILL
 * and started again where it was. It binds port 0 for both APIs and reports what it bound: the
 * admin port on its ready line, the crypto port there too once it belongs to a cluster, else
 * through its admin API once the crypto API has started (asked after each command that succeeded
 * while the port was not known). Its output is kept (and shown when a start fails); {@link #sim}
 * runs {@code keyring-sim} commands in a child JVM against its admin API, pinned to its
 * certificate, and {@link #rest} is a REST client of that API.
 */
public final class MemberProcess implements AutoCloseable {
  /** The simulator's command line, run by name: this module does not see the simulator. */
  public static final String SIM_MAIN = "dev.keyring.sim.cli.KeyringSim";

  /**
   * The system property that gives the options of the members' JVMs, separated by spaces; without
   * it, {@value #DEFAULT_JVM_OPTIONS}: the client compiler only and the serial collector, which
   * take about a third less CPU for a member's start (a start is mostly the JVM compiling the code
   * it runs once), so that the three or four members of a test start side by side on a small
   * machine. (On Linux x86-64 a member's signatures run in its native engine either way.) An empty
   * value gives the JVM's own defaults, for measuring a member: see {@link #jvmDefaultsUnlessSet}.
   */
  public static final String JVM_OPTIONS_PROPERTY = "keyring.testing.memberJvmOptions";

  /** The members' JVM options when {@value #JVM_OPTIONS_PROPERTY} is not set. */
  public static final String DEFAULT_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

  private static final Pattern READY =
      Pattern.compile(
          "member (\\S+) ready: admin https://[^ ]+:(\\d+), crypto"
              + " (?:https://[^ ]+:(\\d+)|not started)");
  private static final Pattern FINGERPRINT =
      Pattern.compile("fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})");

  private final Path data;
  private final Path config;
  private final Path adminPasswordFile;
  private final String adminPassword;
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());
  private Process process;
  private String fingerprint;
  private volatile int adminPort = -1;
  private volatile int cryptoPort = -1;
  private volatile int channelPort = -1;
  private volatile boolean channelAsked;
  private volatile AdminRestClient rest;
  private SessionLeaks.Watch watch;

  private MemberProcess(Path dir, String adminPassword, Map<String, String> settings)
      throws IOException {
    this.data = dir.resolve("data");
    this.config = dir.resolve("member.properties");
    this.adminPasswordFile = dir.resolve("admin-password");
    this.adminPassword = adminPassword;
    Files.createDirectories(data);
    // cheap password verifiers: logins in tests need not cost 310,000 PBKDF2 rounds
    StringBuilder props = new StringBuilder("kdfIterations=10000\n");
    // a ':' in a key (peerRoute.HOST:PORT) is escaped, as properties files need
    settings.forEach(
        (k, v) -> props.append(k.replace(":", "\\:")).append('=').append(v).append('\n'));
    Files.writeString(config, props.toString(), StandardCharsets.UTF_8);
    Files.writeString(adminPasswordFile, adminPassword, StandardCharsets.UTF_8);
  }

  /** Starts a member in {@code dir} and waits until it is ready. */
  public static MemberProcess start(Path dir, String adminPassword) throws Exception {
    return start(dir, adminPassword, Map.of());
  }

  /**
   * Starts a member in {@code dir} with extra settings of its {@code --config} file (advertised
   * address, peer routes, clock offset), and waits until it is ready.
   */
  public static MemberProcess start(Path dir, String adminPassword, Map<String, String> settings)
      throws Exception {
    MemberProcess m = new MemberProcess(dir, adminPassword, settings);
    m.startProcess();
    return m;
  }

  /**
   * Starts the JVM again on the same data directory (after {@link #kill()}). It binds new ports:
   * proxies that follow {@link #cryptoAddress()} reach it there.
   */
  public void restart() throws Exception {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("the member is still running");
    }
    startProcess();
  }

  private void startProcess() throws Exception {
    adminPort = -1;
    cryptoPort = -1;
    channelPort = -1;
    channelAsked = false;
    rest = null;
    List<String> cmd = new ArrayList<>(CliRun.javaCommand());
    cmd.addAll(1, jvmOptions());
    cmd.add(SIM_MAIN);
    cmd.add("member");
    cmd.add("--data");
    cmd.add(data.toString());
    cmd.add("--config");
    cmd.add(config.toString());
    cmd.add("--admin-port");
    cmd.add("0");
    cmd.add("--crypto-port");
    cmd.add("0");
    cmd.add("--admin-password-file");
    cmd.add(adminPasswordFile.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    process = p;
    BlockingQueue<String> lines = new ArrayBlockingQueue<>(10_000);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.add(line);
                  lines.offer(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "member-process-output");
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (fingerprint(lines) == null && System.nanoTime() < deadline && p.isAlive()) {
      // the ready line comes first, the fingerprint line last
    }
    if (fingerprint == null || adminPort < 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "the member process did not become ready:\n" + String.join("\n", output));
    }
    rest = AdminRestClient.pinned(adminPort, fingerprint);
    if (cryptoPort > 0) {
      cryptoPort(); // its ready line named the crypto port: learn the channel's too
    }
    if (watch == null) {
      watch = SessionLeaks.watch("member process " + data, this::openSessions);
    }
  }

  /**
   * Makes the members started from now on run on the JVM's own defaults (compilers and collector),
   * as in production, unless {@value #JVM_OPTIONS_PROPERTY} is set: for programs that measure
   * members.
   */
  public static void jvmDefaultsUnlessSet() {
    if (System.getProperty(JVM_OPTIONS_PROPERTY) == null) {
      System.setProperty(JVM_OPTIONS_PROPERTY, "");
    }
  }

  /** The options of {@value #JVM_OPTIONS_PROPERTY}, else {@value #DEFAULT_JVM_OPTIONS}. */
  static List<String> jvmOptions() {
    String options = System.getProperty(JVM_OPTIONS_PROPERTY, DEFAULT_JVM_OPTIONS).strip();
    return options.isEmpty() ? List.of() : List.of(options.split("\\s+"));
  }

  /** Reads one line (waiting at most 200 ms); the fingerprint once its line came, else null. */
  private String fingerprint(BlockingQueue<String> lines) throws InterruptedException {
    String line = lines.poll(200, TimeUnit.MILLISECONDS);
    if (line == null) {
      return null;
    }
    Matcher ready = READY.matcher(line);
    if (ready.find()) {
      adminPort = Integer.parseInt(ready.group(2));
      if (ready.group(3) != null) {
        cryptoPort = Integer.parseInt(ready.group(3));
      }
      return null;
    }
    Matcher f = FINGERPRINT.matcher(line);
    if (f.find() && adminPort > 0) {
      fingerprint = f.group(1);
      return fingerprint;
    }
    return null;
  }

  /** SIGKILL: no shutdown hook, no flush, as a crash or {@code kill -9}. */
  public void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL on Linux
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * SIGTERM, and waits until the member stopped cleanly (SIGKILL if it does not within 20 s): an
   * operator's restart, with {@link #restart()} after. Unlike {@link #close()} the member's
   * session-leak watch goes on.
   */
  public void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** SIGSTOP: the process is frozen, its sockets stay open (as a long GC pause or a hung VM). */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process k =
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
            .redirectErrorStream(true)
            .start();
    String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (k.waitFor() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed: " + out);
    }
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /**
   * How the member's JVM ended: its exit status (143 after a SIGTERM it obeyed, 137 after SIGKILL),
   * or -1 while it runs.
   */
  public int exitValue() {
    return process == null || process.isAlive() ? -1 : process.exitValue();
  }

  /** The process ID of the member's JVM (a new one after each start). */
  public long pid() {
    return process.pid();
  }

  /** The port the admin API listens on (a new one after each start). */
  public int adminPort() {
    return adminPort;
  }

  /**
   * The port the crypto API listens on, or -1 while it does not run (no cluster yet, or the member
   * is down). Once the member reported it, the answer is remembered until the next start.
   */
  public int cryptoPort() {
    int known = cryptoPort;
    if (!isAlive()) {
      return -1;
    }
    if (known > 0 && channelAsked) {
      return known;
    }
    for (JsonNode s :
        rest.send("GET", "/api/cluster/config", "admin", adminPassword, null)
            .expect(200)
            .json()
            .path("data")) {
      int listening = s.path("listeningPort").asInt(-1);
      if ("channel".equals(s.path("service").asText()) && listening > 0) {
        channelPort = listening;
      }
      if ("crypto".equals(s.path("service").asText()) && listening > 0) {
        cryptoPort = listening;
      }
    }
    channelAsked = cryptoPort > 0; // the channel starts with the crypto API
    return cryptoPort;
  }

  /**
   * Where the binary crypto channel listens, as last reported with the crypto port, or null while
   * that is not known, the member runs no channel or is down. Like {@link #cryptoAddress()} it
   * never asks the member.
   */
  public InetSocketAddress channelAddress() {
    int port = channelPort;
    return port > 0 && isAlive() ? new InetSocketAddress("127.0.0.1", port) : null;
  }

  /**
   * Where the crypto API listens, as last reported, or null while that is not known or the member
   * is down. It never asks the member: a proxy calls it for every new connection, perhaps while the
   * member is busy with the very request that connection serves.
   */
  public InetSocketAddress cryptoAddress() {
    int port = cryptoPort;
    return port > 0 && isAlive() ? new InetSocketAddress("127.0.0.1", port) : null;
  }

  /** The admin certificate's SHA-256 fingerprint as the member printed it. */
  public String fingerprint() {
    return fingerprint;
  }

  /** A client of the member's admin API, pinned to its certificate. */
  public AdminRestClient rest() {
    return rest;
  }

  /** What the member process printed. */
  public String output() {
    return String.join("\n", output);
  }

  /** The crypto sessions open on the member: 0 when it runs no crypto API, -1 when it is down. */
  public int openSessions() {
    if (!isAlive()) {
      return -1;
    }
    if (cryptoPort() < 0) {
      return 0;
    }
    JsonNode clusters = rest.send("GET", "/api/clusters", "admin", adminPassword, null).json();
    String id = clusters.path("data").path(0).path("clusterUUID").asText(null);
    if (id == null) {
      return 0;
    }
    return rest.send("GET", "/api/clusters/" + id + "/state", "admin", adminPassword, null)
        .expect(200)
        .json()
        .path("openSessions")
        .asInt();
  }

  /** The result of one {@code keyring-sim} command. */
  public record SimRun(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /**
   * Runs {@code keyring-sim args --port <admin> --fingerprint <fp>} with the admin password in its
   * environment: in this JVM when the simulator's command line is on the class path (the end-to-end
   * tests, the benchmarks), else in a child JVM.
   */
  public SimRun sim(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--port", Integer.toString(adminPort), "--fingerprint", fingerprint));
    CliRun r =
        CliRun.inProcessOrChildJvm(SIM_MAIN, Map.of("KEYRING_ADMIN_PASSWORD", adminPassword), all);
    if (r.exit() == 0) {
      cryptoPort(); // a cluster created or joined starts the crypto API: learn its port
    }
    return new SimRun(r.exit(), r.out(), r.err());
  }

  /**
   * SIGTERM, so that the member stops cleanly; SIGKILL if it does not within 20 s. The member's
   * open sessions are read first, for the session-leak check.
   */
  @Override
  public void close() {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (watch != null) {
      watch.close();
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
