package dev.keyring.protocol.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that only groups subcommands: without one it prints its usage and exits with 2. */
public abstract class CommandGroup implements Runnable {
  @Spec CommandSpec spec;

  /** Prints the usage and fails with {@link CommandLines#BAD_INPUT}. */
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CliException(
        CommandLines.BAD_INPUT,
        "'" + spec.qualifiedName() + "' needs a subcommand; see its usage above");
  }
}
