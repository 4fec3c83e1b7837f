package dev.keyring.sim.cli;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandLines;
import dev.keyring.protocol.cli.FingerprintTrust;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.store.StoreConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keyring-sim member --data DIR [--config FILE]}: runs one cluster member in this process
 * until it is stopped (SIGTERM or Ctrl-C), printing its ports when ready.
 */
@Command(
    name = "member",
    mixinStandardHelpOptions = true,
    description = {
      "Run a simulated cluster member until SIGTERM or Ctrl-C.",
      "It serves its admin REST API (TLS) and, once it belongs to a cluster, its crypto API"
          + " (mutual TLS); it prints its ports and its admin certificate's fingerprint when"
          + " ready.",
      "",
      "Settings come from the options, else from --config (a properties file with the keys",
      "adminPort, cryptoPort, bindAddress, kdfIterations, sessionIdleTimeoutSeconds,",
      "storeJdbcUrl, storeUser, storePassword, advertisedCryptoAddress, clockOffsetSeconds,",
      "bufferBudgetBytes, minRequestDataRate, idleTimeoutSeconds, maxConnections,",
      "maxConnectionsPerClient, maxConcurrentStreams, clientCertificateValidityDays, channelPort, channelMaxInFlight,",
      "channelMaxConnectionsPerClient, channelWorkers, channelWriteTimeoutMillis, channelSpinMicros,",
      "advertisedChannelPort, backupHaltAt (crash tests:",
      "see docs/backup.md), stopHaltAt and joinHaltAt (crash tests: see docs/cluster.md), and",
      "peerRoute.HOST:PORT = HOST:PORT for each peer reached through another",
      "address),",
      "else from the defaults."
    })
final class MemberCommand implements Callable<Integer> {
  private static final Set<String> CONFIG_KEYS =
      Set.of(
          "adminPort",
          "cryptoPort",
          "bindAddress",
          "kdfIterations",
          "sessionIdleTimeoutSeconds",
          "storeJdbcUrl",
          "storeUser",
          "storePassword",
          "advertisedCryptoAddress",
          "clockOffsetSeconds",
          "bufferBudgetBytes",
          "backupHaltAt",
          "stopHaltAt",
          "joinHaltAt",
          "minRequestDataRate",
          "idleTimeoutSeconds",
          "maxConnections",
          "maxConnectionsPerClient",
          "maxConcurrentStreams",
          "clientCertificateValidityDays",
          "channelPort",
          "advertisedChannelPort",
          "channelMaxInFlight",
          "channelMaxConnectionsPerClient",
          "channelWorkers",
          "channelWriteTimeoutMillis",
          "channelSpinMicros");

  /** H2's error code for a database file another process holds open. */
  private static final int H2_DATABASE_IN_USE = 90020;

  @Spec CommandSpec spec;

  @Option(names = "--data", required = true, description = "the member's data directory")
  Path data;

  @Option(names = "--config", description = "a properties file with the member's settings")
  Path config;

  @Option(names = "--admin-port", description = "admin API port (default 50070; 0 = any)")
  Integer adminPort;

  @Option(names = "--crypto-port", description = "crypto API port (default 50052; 0 = any)")
  Integer cryptoPort;

  @Option(names = "--bind", description = "address to listen on (default 127.0.0.1)")
  String bind;

  @Option(
      names = "--admin-password-file",
      description = "first start only: a file holding the admin user's password")
  Path adminPasswordFile;

  private final CountDownLatch stopped = new CountDownLatch(1);
  // counted down once the member is closed: the JVM ends when its shutdown hooks do, so the hook
  // waits for the clean stop (the clean-stop marker among it) to finish
  private final CountDownLatch closed = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Properties p = new Properties();
    if (config != null) {
      try (InputStream in = Files.newInputStream(config)) {
        p.load(in);
      } catch (IOException e) {
        throw new CliException(
            2, "--config " + config + " cannot be read: " + CommandLines.reason(e));
      }
      for (String k : p.stringPropertyNames()) {
        if (!CONFIG_KEYS.contains(k) && !k.startsWith("peerRoute.")) {
          throw new CliException(
              2, "--config " + config + ": unknown key '" + k + "'; known keys: " + CONFIG_KEYS);
        }
      }
    }
    if (Files.exists(data) && !Files.isDirectory(data)) {
      throw new CliException(2, "--data " + data + " is not a directory");
    }
    ApplianceConfig.Builder appliance = ApplianceConfig.builder().dataDir(data);
    if (p.containsKey("kdfIterations")) {
      appliance.kdfIterations(intValue(p, "kdfIterations"));
    }
    MemberConfig.Builder b = MemberConfig.builder();
    try {
      if (p.containsKey("storeJdbcUrl")) {
        appliance.store(
            StoreConfig.builder()
                .jdbcUrl(p.getProperty("storeJdbcUrl"))
                .username(p.getProperty("storeUser"))
                .password(p.getProperty("storePassword"))
                .build());
      }
      b.appliance(appliance.build());
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    } catch (UncheckedIOException e) {
      throw new CliException(2, "--data " + data + ": " + e.getMessage());
    }
    if (bind != null || p.containsKey("bindAddress")) {
      b.bindAddress(bind != null ? bind : p.getProperty("bindAddress"));
    }
    checkPort(adminPort, "--admin-port");
    checkPort(cryptoPort, "--crypto-port");
    if (adminPort != null || p.containsKey("adminPort")) {
      b.adminPort(adminPort != null ? adminPort : intValue(p, "adminPort"));
    }
    if (cryptoPort != null || p.containsKey("cryptoPort")) {
      b.cryptoPort(cryptoPort != null ? cryptoPort : intValue(p, "cryptoPort"));
    }
    if (p.containsKey("sessionIdleTimeoutSeconds")) {
      b.sessionIdleTimeout(Duration.ofSeconds(intValue(p, "sessionIdleTimeoutSeconds")));
    }
    if (p.containsKey("advertisedCryptoAddress")) {
      b.advertisedCryptoAddress(p.getProperty("advertisedCryptoAddress").strip());
    }
    if (p.containsKey("clockOffsetSeconds")) {
      b.clockOffset(Duration.ofSeconds(intValue(p, "clockOffsetSeconds")));
    }
    if (p.containsKey("bufferBudgetBytes")) {
      b.bufferBudget(longValue(p, "bufferBudgetBytes"));
    }
    if (p.containsKey("minRequestDataRate")) {
      b.minRequestDataRate(longValue(p, "minRequestDataRate"));
    }
    if (p.containsKey("idleTimeoutSeconds")) {
      b.idleTimeout(Duration.ofSeconds(intValue(p, "idleTimeoutSeconds")));
    }
    if (p.containsKey("maxConnections")) {
      b.maxConnections(intValue(p, "maxConnections"));
    }
    if (p.containsKey("maxConnectionsPerClient")) {
      b.maxConnectionsPerClient(intValue(p, "maxConnectionsPerClient"));
    }
    if (p.containsKey("maxConcurrentStreams")) {
      b.maxConcurrentStreams(intValue(p, "maxConcurrentStreams"));
    }
    if (p.containsKey("clientCertificateValidityDays")) {
      b.clientCertificateValidity(Duration.ofDays(intValue(p, "clientCertificateValidityDays")));
    }
    if (p.containsKey("channelPort")) {
      b.channelPort(intValue(p, "channelPort"));
    }
    if (p.containsKey("advertisedChannelPort")) {
      b.advertisedChannelPort(intValue(p, "advertisedChannelPort"));
    }
    if (p.containsKey("channelMaxInFlight")) {
      b.channelMaxInFlight(intValue(p, "channelMaxInFlight"));
    }
    if (p.containsKey("channelMaxConnectionsPerClient")) {
      b.channelMaxConnectionsPerClient(intValue(p, "channelMaxConnectionsPerClient"));
    }
    if (p.containsKey("channelWorkers")) {
      b.channelWorkers(intValue(p, "channelWorkers"));
    }
    if (p.containsKey("channelWriteTimeoutMillis")) {
      b.channelWriteTimeout(Duration.ofMillis(longValue(p, "channelWriteTimeoutMillis")));
    }
    if (p.containsKey("channelSpinMicros")) {
      b.channelSpinMicros(intValue(p, "channelSpinMicros"));
    }
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("peerRoute.")) {
        b.peerRoute(k.substring("peerRoute.".length()), p.getProperty(k).strip());
      }
    }
    if (adminPasswordFile != null) {
      String password;
      try {
        password = Files.readString(adminPasswordFile).strip();
      } catch (IOException e) {
        throw new CliException(
            2,
            "--admin-password-file "
                + adminPasswordFile
                + " cannot be read: "
                + CommandLines.reason(e));
      }
      if (password.isEmpty()) {
        throw new CliException(2, "--admin-password-file " + adminPasswordFile + " is empty");
      }
      b.initialAdminPassword(password);
    }
    if (p.containsKey("stopHaltAt")) {
      // crash tests only: halt the member before or after it writes its clean-stop marker
      System.setProperty("keyring.stop.haltAt", p.getProperty("stopHaltAt").strip());
    }
    if (p.containsKey("joinHaltAt")) {
      // crash tests only: halt the joiner right after a step of a join (docs/cluster.md)
      System.setProperty("keyring.join.haltAt", p.getProperty("joinHaltAt").strip());
    }
    if (p.containsKey("backupHaltAt")) {
      // crash tests only: halt the member at a point of a backup or restore (docs/backup.md)
      System.setProperty("keyring.backup.haltAt", p.getProperty("backupHaltAt").strip());
    }
    MemberConfig mc;
    try {
      mc = b.build();
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    try (Member member = start(mc)) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> stopThenAwait(stopped, closed), "keyring-member-stop"));
      out.printf(
          "member %s ready: admin https://%s:%d, crypto %s%n",
          member.appliance().defaultMemberName(),
          mc.bindAddress(),
          member.adminPort(),
          member.cryptoPort() < 0
              ? "not started (no cluster yet)"
              : "https://" + mc.bindAddress() + ":" + member.cryptoPort());
      out.println(
          "admin certificate SHA-256 fingerprint "
              + FingerprintTrust.display(FingerprintTrust.fingerprint(member.adminCertificate())));
      out.flush();
      stopped.await();
      out.println("member stopping");
      out.flush();
    } finally {
      closed.countDown();
    }
    return 0;
  }

  /** Starts the member; a port it cannot listen on is bad input (exit code 2), named. */
  private static Member start(MemberConfig mc) throws Exception {
    try {
      return Member.start(mc);
    } catch (HsmException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof java.sql.SQLException q && q.getErrorCode() == H2_DATABASE_IN_USE) {
          throw new CliException(
              2,
              "--data "
                  + mc.appliance().dataDir()
                  + " is in use by another running member (its store is locked): stop that"
                  + " member, or give another --data");
        }
      }
      throw e;
    } catch (IOException e) {
      if (!cannotBind(e)) {
        throw e;
      }
      Throwable cause = e.getCause();
      String why =
          cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : "";
      throw new CliException(
          2,
          "the member cannot listen: "
              + e.getMessage()
              + why
              + "; another process may hold the port, or the address may not be this host's:"
              + " choose other ports with --admin-port and --crypto-port (0 = any free port), or"
              + " another --bind");
    }
  }

  /**
   * A shutdown hook's work: asks the running command to stop, then waits (at most 30 s) until it
   * closed the member, since the JVM ends as soon as its hooks do.
   */
  static void stopThenAwait(CountDownLatch stop, CountDownLatch done) {
    stop.countDown();
    try {
      done.await(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether {@code e} is a listening socket's bind refused (a port held, an address not here). */
  private static boolean cannotBind(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  private static void checkPort(Integer port, String option) {
    if (port != null && (port < 0 || port > 65535)) {
      throw new CliException(2, option + " must be 0 to 65535, got " + port);
    }
  }

  private static long longValue(Properties p, String key) {
    String v = p.getProperty(key).strip();
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new CliException(2, "--config: " + key + " must be an integer, got '" + v + "'");
    }
  }

  private static int intValue(Properties p, String key) {
    String v = p.getProperty(key).strip();
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new CliException(2, "--config: " + key + " must be an integer, got '" + v + "'");
    }
  }
}
