package dev.keyring.distribution;

import dev.keyring.protocol.cli.CommandLines;
import dev.keyring.sim.cli.KeyringSim;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;

/**
 * The main class of {@code bin/keyring-sim}: the simulator's command line ({@link KeyringSim}) with
 * {@code quickstart} added, which needs the client side too (registration, the configuration file)
 * and therefore cannot live in the simulator's module.
 */
public final class KeyringSimLauncher {
  private KeyringSimLauncher() {}

  /** The command line with this environment. */
  static CommandLine commandLine(Map<String, String> env) {
    CommandLine cl = KeyringSim.commandLine(env);
    cl.addSubcommand("quickstart", new QuickstartCommand());
    return cl;
  }

  /** Runs the command line with these streams and environment; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
    return CommandLines.execute(commandLine(env), out, err, args);
  }

  public static void main(String[] args) {
    System.exit(
        run(
            new PrintWriter(System.out, true, StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, StandardCharsets.UTF_8),
            System.getenv(),
            args));
  }
}
