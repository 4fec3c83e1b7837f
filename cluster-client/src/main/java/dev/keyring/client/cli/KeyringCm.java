package dev.keyring.client.cli;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.ha.ClusterClients;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandLines;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code keyringcm}: the client-side tool, in the manner of LunaCM, over the crypto API with the
 * configuration file that registration wrote. Each run is one process and one session: commands
 * take the slot and the password they need and log out before they return.
 *
 * <p>Exit codes: 0 done; 1 refused by the cluster (its CKR_ code and message are printed); 2 bad
 * usage or input (including the configuration file); 3 the member cannot be reached, or TLS failed.
 */
@Command(
    name = "keyringcm",
    mixinStandardHelpOptions = true,
    version = "keyringcm 0.1.0",
    description = {
      "The Keyring client tool: slots, keyring roles, objects, keys and signatures over the"
          + " crypto API, with the configuration file keyring-register wrote.",
      "Each command runs in one session and logs out before it returns, so each takes the slot"
          + " (-slot) and the password it needs. Options take one dash as in LunaCM (-slot) or"
          + " two (--slot)."
    },
    footer = {
      "",
      "Passwords not given as options are asked for on the console, without echo.",
      "",
      "Typical first use of a new keyring:",
      "  keyringcm slot list",
      "  keyringcm role login -name po -slot app100",
      "  keyringcm role changepw -name po -slot app100",
      "  keyringcm role init -name co -slot app100",
      "  keyringcm role login -name co -slot app100",
      "  keyringcm key generate -slot app100 -type ec -curve P-256 -label signer"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done",
      "1:refused by the cluster (its CKR_ code and message are printed)",
      "2:bad usage or input, including the configuration file",
      "3:the member cannot be reached, or TLS failed"
    },
    subcommands = {
      SlotCommand.class,
      RoleCommand.class,
      PartitionCommand.class,
      KeyCommand.class,
      SignCommand.Sign.class,
      SignCommand.Verify.class,
      HaGroupCommand.class
    })
public final class KeyringCm implements Runnable {
  /** Done. */
  public static final int OK = CommandLines.OK;

  /** Refused by the cluster. */
  public static final int REFUSED = CommandLines.REFUSED;

  /** Bad usage or input. */
  public static final int BAD_INPUT = CommandLines.BAD_INPUT;

  /** The member cannot be reached, or TLS failed. */
  public static final int UNREACHABLE = CommandLines.UNREACHABLE;

  @Spec CommandSpec spec;

  private final Map<String, String> env;
  private final ClusterClients clusters;

  private KeyringCm(Map<String, String> env, ClusterClients clusters) {
    this.env = Map.copyOf(env);
    this.clusters = clusters;
  }

  Map<String, String> env() {
    return env;
  }

  /** Where {@code hagroup} commands reach the members, or null for the registered clusters. */
  ClusterClients clusters() {
    return clusters;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CliException(BAD_INPUT, "a subcommand is required");
  }

  /** Runs the command as a script would, and exits with its code. */
  public static void main(String[] args) {
    System.exit(
        run(
            new PrintWriter(System.out, true, StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, StandardCharsets.UTF_8),
            System.getenv(),
            args));
  }

  /**
   * Runs the command with these streams and environment ({@code KEYRING_CONFIG}, {@code HOME});
   * returns the exit code.
   */
  public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
    return run(out, err, env, null, args);
  }

  /**
   * {@link #run(PrintWriter, PrintWriter, Map, String...)} with the {@code hagroup} commands
   * reaching the members through {@code clusters} (null: the clusters the file registers).
   */
  static int run(
      PrintWriter out,
      PrintWriter err,
      Map<String, String> env,
      ClusterClients clusters,
      String... args) {
    CommandLine cl =
        CommandLines.withFailureReports(
            new CommandLine(new KeyringCm(env, clusters)), KeyringCm::reportTransportFailure);
    return CommandLines.execute(cl, out, err, args);
  }

  /** A transport failure: a bad configuration is bad input, anything else unreachable. */
  private static Integer reportTransportFailure(Exception e, PrintWriter err) {
    if (!(e instanceof TransportException t)) {
      return null;
    }
    err.println("error: " + t.getMessage());
    return t.kind() == TransportException.Kind.CONFIGURATION ? BAD_INPUT : UNREACHABLE;
  }
}
