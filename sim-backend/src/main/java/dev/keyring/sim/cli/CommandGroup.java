package dev.keyring.sim.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that only groups subcommands: without one it prints its usage and exits with 2. */
abstract class CommandGroup implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CliException(
        2, "'" + spec.qualifiedName() + "' needs a subcommand; see its usage above");
  }
}
