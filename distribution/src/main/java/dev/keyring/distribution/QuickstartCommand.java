package dev.keyring.distribution;

import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandLines;
import dev.keyring.sim.server.Member;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keyring-sim quickstart --data DIR}: a one-member cluster with a keyring and a registered
 * client, set up in {@code DIR} on the first start and reused on every later one; the member then
 * runs in the foreground until SIGTERM or Ctrl-C.
 */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description = {
      "Set up a one-member cluster in DIR, or reuse the one there, and run its member until"
          + " SIGTERM or Ctrl-C.",
      "The first start makes everything: the HSM, its partition and crypto officer, the cluster,"
          + " keyring NAME through its first login (KRSO password changed, KRCO initialized),"
          + " a registered client and DIR/client/Chrystoki.conf with a 'Keyring Provider'"
          + " section naming the keyring. The passwords are generated (the keyring's is"
          + " --password when given), written to DIR/secrets.properties (owner-only) and shown"
          + " once. A later start on DIR reuses all of it and only starts the member.",
      "It prints the two lines that let an application use the keyring through the JCA"
          + " provider."
    })
final class QuickstartCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "DIR",
      description = "the directory for everything (created if missing)")
  Path data;

  @Option(
      names = "--keyring",
      paramLabel = "NAME",
      description = "the keyring's label (default: app)")
  String keyring;

  @Option(
      names = "--password",
      paramLabel = "P",
      description =
          "the keyring's KRSO/KRCO password, first start only (default: generated; 7 to 255"
              + " characters)")
  String password;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      description = "first start: the admin API's port (default 50070; 0 = any free port)")
  Integer adminPort;

  @Option(
      names = "--crypto-port",
      paramLabel = "PORT",
      description = "first start: the crypto API's port (default 50052; 0 = any free port)")
  Integer cryptoPort;

  @Option(
      names = "--kdf-iterations",
      paramLabel = "N",
      description =
          "first start: the PBKDF2 cost of the password verifiers (default 310000, as an"
              + " appliance; 1000 to 10000000; a low value makes logins cheap in tests)")
  Integer kdfIterations;

  private final CountDownLatch stopped = new CountDownLatch(1);
  // the JVM ends when its shutdown hooks do: the hook waits until the member stopped cleanly
  private final CountDownLatch closed = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Quickstart.Settings settings =
        new Quickstart.Settings(data, keyring, password, adminPort, cryptoPort, kdfIterations);
    try (Quickstart q = Quickstart.start(settings)) {
      Runtime.getRuntime().addShutdownHook(new Thread(this::stopThenAwait, "keyring-quickstart"));
      report(q, out);
      out.flush();
      stopped.await();
      out.println("member stopping");
      out.flush();
    } catch (CliException | dev.keyring.protocol.HsmException e) {
      throw e;
    } catch (java.io.IOException e) {
      throw new CliException(CommandLines.BAD_INPUT, "quickstart failed: " + e.getMessage());
    } catch (RuntimeException e) {
      throw new CliException(CommandLines.UNREACHABLE, "quickstart failed: " + e);
    } finally {
      closed.countDown();
    }
    return CommandLines.OK;
  }

  /** The shutdown hook: asks the command to stop, then waits (at most 30 s) until it stopped. */
  private void stopThenAwait() {
    stopped.countDown();
    try {
      closed.await(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void report(Quickstart q, PrintWriter out) {
    Member m = q.cluster().member(0);
    Path secretsFile = q.dir().resolve(QuickstartSecrets.FILE);
    if (q.secretsGenerated()) {
      out.println("passwords generated, written to " + secretsFile + " (owner-only), shown once:");
      Iterator<String> names = QuickstartSecrets.KEYS.values().iterator();
      for (String v : q.secrets().values()) {
        out.printf("  %-52s %s%n", names.next(), v);
      }
    } else {
      out.println("reusing " + q.dir() + " (passwords in " + secretsFile + ")");
    }
    out.printf(
        "member %s running: admin https://127.0.0.1:%d, crypto https://127.0.0.1:%d%n",
        m.appliance().defaultMemberName(), m.adminPort(), m.cryptoPort());
    out.printf("cluster %s (%s)%n", q.cluster().clusterLabel(), q.cluster().clusterId());
    if (q.reauthorized()) {
      out.printf(
          "member %s was not stopped cleanly last time and came back not authorized: authorized"
              + " again with the partition CO password in %s%n",
          m.appliance().defaultMemberName(), secretsFile);
    }
    out.printf("keyring %s ready: KRSO password changed, KRCO initialized%n", q.keyring());
    out.printf(
        "client %s registered: %s (Keyring Provider: DefaultSlot = %s)%n",
        Quickstart.CLIENT_NAME, q.clientConfig(), q.keyring());
    out.println();
    out.println("Put " + providerJar() + " on the application's class path and paste:");
    out.println(
        "  Security.addProvider(new dev.keyring.provider.KeyringProvider(java.nio.file.Path.of(\""
            + q.clientConfig()
            + "\")));");
    String load = "  KeyStore ks = KeyStore.getInstance(\"Keyring\"); ks.load(null, ";
    out.println(
        q.secretsGenerated()
            ? load + "\"" + q.secrets().keyring() + "\".toCharArray());"
            : load + "password); // keyring.password in " + secretsFile);
    out.println();
    out.println("quickstart ready; the member runs until Ctrl-C; the same command starts it again");
  }

  /** The one-jar provider of this installation ({@code keyring.home} is set by the launcher). */
  static String providerJar() {
    String home = System.getProperty("keyring.home");
    return home == null
        ? "keyring-provider-all.jar"
        : Path.of(home, "lib", "keyring-provider-all.jar").toString();
  }
}
