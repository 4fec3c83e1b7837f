package dev.keyring.client.cli;

import picocli.CommandLine.Option;

/** A command on one slot, named by {@code -slot}. */
abstract class OnSlotCommand extends ClientCommand {
  @Option(
      names = {"-slot", "--slot"},
      required = true,
      paramLabel = "SLOT",
      description = "The slot: keyring label, keyring UUID or slot number.")
  String slotName;
}
