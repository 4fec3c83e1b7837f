package dev.keyring.sim.cli;

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
 * {@code keyring-sim}: the simulated appliance's command line, in the manner of LunaSH. {@code
 * member} runs a member; every other command calls a member's admin REST API over TLS, so it does
 * exactly what the same REST call does.
 *
 * <p>Exit codes: 0 done; 1 refused by the member (the PKCS#11-style code and message are printed);
 * 2 bad usage or input; 3 could not reach the member, or TLS failed.
 */
@Command(
    name = "keyring-sim",
    mixinStandardHelpOptions = true,
    version = "keyring-sim 0.1.0",
    description = {
      "The simulated Keyring appliance: run a member, administer its HSM, cluster and keyrings.",
      "Options take one dash as in LunaSH (-label) or two (--label)."
    },
    footer = {
      "",
      "Administration commands reach a member's admin API: --host (default 127.0.0.1), --port"
          + " (default 50070), --user (default admin), the password from --password-file, else"
          + " $KEYRING_ADMIN_PASSWORD, else a prompt. Pin the member's admin certificate with"
          + " --fingerprint; without it the certificate is trusted on first use and its"
          + " fingerprint is printed.",
      "Passwords not given as options are asked for on the console, without echo."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done",
      "1:refused by the member (its CKR_ code and message are printed)",
      "2:bad usage or input",
      "3:the member cannot be reached, or TLS failed"
    },
    subcommands = {
      MemberCommand.class,
      HsmCommand.class,
      PartitionCommand.class,
      TokenCommand.class,
      ClusterCommand.class,
      KeyringCommand.class,
      ServiceCommand.class,
      PackageCommand.class,
      UserCommand.class,
      MyCommand.class
    })
public final class KeyringSim implements Runnable {
  /** Done. */
  public static final int OK = CommandLines.OK;

  /** The member refused. */
  public static final int REFUSED = CommandLines.REFUSED;

  /** Bad usage or input. */
  public static final int BAD_INPUT = CommandLines.BAD_INPUT;

  /** The member could not be reached, or TLS failed. */
  public static final int UNREACHABLE = CommandLines.UNREACHABLE;

  @Spec CommandSpec spec;

  private final Map<String, String> env;

  private KeyringSim(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  Map<String, String> env() {
    return env;
  }

  /** Without a subcommand: the usage, and exit code 2. */
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CliException(BAD_INPUT, "a subcommand is required");
  }

  /** Runs the command line with the process's streams and environment; returns the exit code. */
  public static int run(String... args) {
    return run(
        new PrintWriter(System.out, true, StandardCharsets.UTF_8),
        new PrintWriter(System.err, true, StandardCharsets.UTF_8),
        System.getenv(),
        args);
  }

  /**
   * Runs the command line with these streams and environment ({@code KEYRING_ADMIN_PASSWORD});
   * returns the exit code.
   */
  public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
    return CommandLines.execute(commandLine(env), out, err, args);
  }

  /** The command line with the process's environment, for embedding (set its out/err writers). */
  public static CommandLine commandLine() {
    return commandLine(System.getenv());
  }

  /** The command line with this environment, for embedding and tests. */
  public static CommandLine commandLine(Map<String, String> env) {
    return CommandLines.withFailureReports(new CommandLine(new KeyringSim(env)));
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
