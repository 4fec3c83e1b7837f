package dev.keyring.samples.cluster;

import dev.keyring.sim.cli.KeyringSim;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster member as its own JVM ({@code keyring-sim member}) on loopback, with its own data
 * directory and fixed ports, so that it can be killed with SIGKILL and started again where it was.
 * Its output is kept (and shown when a start fails); {@link #sim} runs {@code keyring-sim} commands
 * against its admin API, pinned to its certificate.
 */
public final class MemberProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("member (\\S+) ready: admin https://");
  private static final Pattern FINGERPRINT =
      Pattern.compile("fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})");

  private final Path data;
  private final Path config;
  private final Path adminPasswordFile;
  private final String adminPassword;
  private final int adminPort;
  private final int cryptoPort;
  private final List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
  private Process process;
  private String fingerprint;

  private MemberProcess(Path dir, String adminPassword, int adminPort, int cryptoPort)
      throws IOException {
    this(dir, adminPassword, adminPort, cryptoPort, Map.of());
  }

  private MemberProcess(
      Path dir, String adminPassword, int adminPort, int cryptoPort, Map<String, String> settings)
      throws IOException {
    this.data = dir.resolve("data");
    this.config = dir.resolve("member.properties");
    this.adminPasswordFile = dir.resolve("admin-password");
    this.adminPassword = adminPassword;
    this.adminPort = adminPort;
    this.cryptoPort = cryptoPort;
    Files.createDirectories(data);
    // cheap password verifiers: logins in tests need not cost 310,000 PBKDF2 rounds
    StringBuilder props = new StringBuilder("kdfIterations=10000\n");
    // a ':' in a key (peerRoute.HOST:PORT) is escaped, as properties files need
    settings.forEach(
        (k, v) -> props.append(k.replace(":", "\\:")).append('=').append(v).append('\n'));
    Files.writeString(config, props.toString(), StandardCharsets.UTF_8);
    Files.writeString(adminPasswordFile, adminPassword, StandardCharsets.UTF_8);
  }

  /** Starts a member in {@code dir} on two free loopback ports and waits until it is ready. */
  public static MemberProcess start(Path dir, String adminPassword) throws Exception {
    MemberProcess m = new MemberProcess(dir, adminPassword, freePort(), freePort());
    m.startProcess();
    return m;
  }

  /**
   * Starts a member in {@code dir} on the given ports with extra settings of its {@code --config}
   * file (advertised address, peer routes), and waits until it is ready.
   */
  public static MemberProcess start(
      Path dir, String adminPassword, int adminPort, int cryptoPort, Map<String, String> settings)
      throws Exception {
    MemberProcess m = new MemberProcess(dir, adminPassword, adminPort, cryptoPort, settings);
    m.startProcess();
    return m;
  }

  /** A loopback port free right now, outside the ephemeral range. */
  public static int freePort() throws IOException {
    // Below the kernel's ephemeral range (32768 and up on Linux): a port picked here and bound
    // later by the member cannot meanwhile be handed to a proxy's listener or an outgoing
    // connection, as an ephemeral port could.
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    IOException last = null;
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = r.nextInt(20_000, 32_000);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException inUse) {
        last = inUse;
      }
    }
    throw new IOException("no free loopback port between 20000 and 32000", last);
  }

  /** Starts the JVM again on the same data directory and ports (after {@link #kill()}). */
  public void restart() throws Exception {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("the member is still running");
    }
    startProcess();
  }

  private void startProcess() throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add(KeyringSim.class.getName());
    cmd.add("member");
    cmd.add("--data");
    cmd.add(data.toString());
    cmd.add("--config");
    cmd.add(config.toString());
    cmd.add("--admin-port");
    cmd.add(Integer.toString(adminPort));
    cmd.add("--crypto-port");
    cmd.add(Integer.toString(cryptoPort));
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
    boolean ready = false;
    while (!ready && System.nanoTime() < deadline && p.isAlive()) {
      String line = lines.poll(200, TimeUnit.MILLISECONDS);
      if (line == null) {
        continue;
      }
      Matcher f = FINGERPRINT.matcher(line);
      if (f.find()) {
        fingerprint = f.group(1);
        ready = true;
      }
    }
    if (!ready) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "the member process did not become ready:\n" + String.join("\n", output));
    }
    boolean sawReady = output.stream().anyMatch(l -> READY.matcher(l).find());
    if (!sawReady) {
      throw new IllegalStateException("no ready line:\n" + String.join("\n", output));
    }
  }

  /** SIGKILL: no shutdown hook, no flush, as a crash or {@code kill -9}. */
  public void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL on Linux
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  public int adminPort() {
    return adminPort;
  }

  public int cryptoPort() {
    return cryptoPort;
  }

  /** The admin certificate's SHA-256 fingerprint as the member printed it. */
  public String fingerprint() {
    return fingerprint;
  }

  /** What the member process printed. */
  public String output() {
    return String.join("\n", output);
  }

  /** The result of one {@code keyring-sim} command. */
  public record SimRun(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /** Runs {@code keyring-sim args --port <admin> --fingerprint <fp>} with the admin password. */
  public SimRun sim(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--port", Integer.toString(adminPort), "--fingerprint", fingerprint));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        KeyringSim.run(
            new PrintWriter(out),
            new PrintWriter(err),
            Map.of("KEYRING_ADMIN_PASSWORD", adminPassword),
            all.toArray(String[]::new));
    return new SimRun(exit, out.toString(), err.toString());
  }

  /** SIGTERM, so that the member stops cleanly; SIGKILL if it does not within 20 s. */
  @Override
  public void close() {
    if (process == null || !process.isAlive()) {
      return;
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
