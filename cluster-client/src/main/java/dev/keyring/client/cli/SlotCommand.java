package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.cli.CommandGroup;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code slot list}: the cluster's keyrings, as slots. */
@Command(
    name = "slot",
    mixinStandardHelpOptions = true,
    description = "The cluster's keyrings, seen as slots.",
    subcommands = {SlotCommand.ListSlots.class})
final class SlotCommand extends CommandGroup {

  static String status(Slot s) {
    if (s.locked()) {
      return "locked (the cluster CO unlocks it: keyring-sim keyring unlock)";
    }
    if (s.passwordChangeRequired()) {
      return "initial password: the keyring SO must change it (role changepw -name po)";
    }
    if (!s.krcoInitialized()) {
      return "crypto officer not initialized (role init -name co)";
    }
    return "ready";
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Lists the slots (keyrings) of the cluster in the configuration file.")
  static final class ListSlots extends ClientCommand {
    @Override
    void run(KeyringClient kc) throws TransportException {
      List<Slot> slots = kc.slots();
      out().println("Cluster " + kc.cluster().indexSuffix() + " at " + kc.cluster().server());
      for (Slot s : slots) {
        out().println();
        out().printf("\tSlot Id ->              %d%n", s.slotId());
        out().printf("\tLabel ->                %s%n", s.label());
        out().printf("\tKeyring ID ->           %s%n", s.keyringId());
        out().printf("\tSerial Number ->        %s%n", s.serialNumber());
        out().printf("\tStatus ->               %s%n", status(s));
      }
      out().println();
      out().println(slots.size() + (slots.size() == 1 ? " slot" : " slots"));
    }
  }
}
