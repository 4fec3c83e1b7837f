package dev.keyring.client.cli;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.protocol.cli.CliException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hagroup addstandby} and {@code removestandby}: which members of a group are standby. A
 * standby member receives every object written through the group but serves reads and cryptography
 * only while every active member is down. Written to {@code VirtualTokenNNStandby}.
 */
final class HaStandbyCommands {
  private HaStandbyCommands() {}

  /** The group and the member both commands name; the change itself is each command's. */
  abstract static class StandbyChange extends HaCommand {
    @Option(
        names = {"-group", "--group"},
        required = true,
        paramLabel = "LABEL",
        description = "The group's label.")
    String groupLabel;

    @ArgGroup(exclusive = true, multiplicity = "1")
    HaGroupCommand.Which which;

    @Override
    void run() throws TransportException {
      HaGroupEntry g = group(groupLabel);
      change(
          g, which.serial != null ? which.serial : member(which.slot, null).slot().serialNumber());
    }

    abstract void change(HaGroupEntry g, String serial);
  }

  @Command(
      name = "addstandby",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Makes a member of an HA group a standby member: it receives every object but serves only"
            + " while every active member is down. At least one member stays active."
      })
  static final class AddStandby extends StandbyChange {
    @Override
    void change(HaGroupEntry g, String serial) {
      if (!g.memberSerials().contains(serial)) {
        throw new CliException(
            2,
            serial
                + " is not a member of HA group '"
                + g.label()
                + "': add it with hagroup addmember first");
      }
      if (g.standbySerials().contains(serial)) {
        throw new CliException(
            2, serial + " is already a standby member of HA group '" + g.label() + "'");
      }
      if (g.activeSerials().size() == 1) {
        throw new CliException(
            2,
            serial
                + " is the only active member of HA group '"
                + g.label()
                + "': a group needs at least one active member");
      }
      List<String> standby = new ArrayList<>(g.standbySerials());
      standby.add(serial);
      HaGroupEntry next = g.withStandby(standby);
      save(config().withHaGroup(next));
      out().println("Member " + serial + " of group " + g.label() + " is now a standby member.");
      out().println("Standby Members: " + String.join(", ", next.standbySerials()));
    }
  }

  @Command(
      name = "removestandby",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Makes a standby member of an HA group an active member again.")
  static final class RemoveStandby extends StandbyChange {
    @Override
    void change(HaGroupEntry g, String serial) {
      if (!g.standbySerials().contains(serial)) {
        throw new CliException(
            2, serial + " is not a standby member of HA group '" + g.label() + "'");
      }
      List<String> standby = new ArrayList<>(g.standbySerials());
      standby.remove(serial);
      HaGroupEntry next = g.withStandby(standby);
      save(config().withHaGroup(next));
      out().println("Member " + serial + " of group " + g.label() + " is now an active member.");
      out()
          .println(
              "Standby Members: "
                  + (standby.isEmpty() ? "<none>" : String.join(", ", next.standbySerials())));
    }
  }
}
