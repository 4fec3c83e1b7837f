package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.HaGroupEntry;
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
      ClientConfig cfg = client.read(env());
      java.util.Set<String> hidden = new java.util.HashSet<>();
      if (cfg.haSettings().haOnly()) {
        cfg.haGroups().forEach(g -> hidden.addAll(g.memberSerials()));
      }
      out().println("Cluster " + kc.cluster().indexSuffix() + " at " + kc.cluster().server());
      int shown = 0;
      for (Slot s : slots) {
        if (hidden.contains(s.serialNumber())) {
          continue;
        }
        shown++;
        out().println();
        out().printf("\tSlot Id ->              %d%n", s.slotId());
        out().printf("\tLabel ->                %s%n", s.label());
        out().printf("\tKeyring ID ->           %s%n", s.keyringId());
        out().printf("\tSerial Number ->        %s%n", s.serialNumber());
        out().printf("\tStatus ->               %s%n", status(s));
      }
      if (cfg.haSettings().haOnly()) {
        for (HaGroupEntry g : cfg.haGroups()) {
          out().println();
          out().printf("\tHA Virtual Slot ->      %s%n", g.label());
          out().printf("\tSerial Number ->        %s%n", g.serialNumber());
          out().printf("\tMembers ->              %s%n", String.join(", ", g.memberSerials()));
        }
      }
      out().println();
      out()
          .println(
              shown
                  + (shown == 1 ? " slot" : " slots")
                  + (shown < slots.size()
                      ? " (" + (slots.size() - shown) + " HA group members hidden: HAOnly is on)"
                      : ""));
    }
  }
}
