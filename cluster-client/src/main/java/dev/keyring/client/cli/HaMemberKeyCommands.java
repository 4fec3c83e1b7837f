package dev.keyring.client.cli;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.ha.HaMemberKey;
import dev.keyring.client.ha.HaMemberKeyRemoval;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.cli.CliException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The HA group member keys that leave with their members: how {@code hagroup deletegroup} and
 * {@code removemember} report them, and {@code hagroup removememberkey}, which removes one later
 * from a member that could not be reached then.
 */
final class HaMemberKeyCommands {
  private HaMemberKeyCommands() {}

  /**
   * Prints the member keys removed, one line per member; refuses with exit code 1 (the other
   * commands' partial result) naming each member that keeps its member key, why, and the command
   * that removes it later.
   *
   * @param groupNumber the group's number, or null for every group
   */
  static void report(
      PrintWriter out, String groupNumber, List<HaMemberKeyRemoval.Outcome> outcomes) {
    String key =
        groupNumber == null ? "HA group member key" : HaMemberKey.LABEL_PREFIX + groupNumber;
    List<String> kept = new ArrayList<>();
    for (HaMemberKeyRemoval.Outcome o : outcomes) {
      String who = o.serial() + (o.label().isEmpty() ? "" : " (" + o.label() + ")");
      if (!o.done()) {
        kept.add(
            "member "
                + who
                + " keeps its member key "
                + key
                + "; remove it once it can be reached: keyringcm hagroup removememberkey"
                + " -serialnumber "
                + o.serial()
                + (groupNumber == null ? "" : " -groupnumber " + groupNumber)
                + "\n  why: "
                + o.failure());
      } else if (o.removed() > 0) {
        out.println("Member key " + key + " removed from member " + who + ".");
      } else {
        out.println("Member " + who + " carried no member key " + key + ".");
      }
    }
    out.flush();
    if (!kept.isEmpty()) {
      throw new CliException(1, String.join("\n", kept));
    }
  }

  @Command(
      name = "removememberkey",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Removes the HA group member key from a slot that is no longer a member of a group here"
            + " (deletegroup or removemember could not reach it). Only the member key is"
            + " destroyed."
      })
  static final class RemoveMemberKey extends HaGroupCommand.WithPassword {
    @ArgGroup(exclusive = true, multiplicity = "1")
    HaGroupCommand.Which which;

    @Option(
        names = {"-groupnumber", "--groupnumber"},
        paramLabel = "NUMBER",
        description =
            "Only the member key of this group number (1 and the primary's serial); without it,"
                + " every HA group member key on the slot.")
    String groupNumber;

    @Override
    void run() throws TransportException {
      if (groupNumber != null
          && !(groupNumber.startsWith("1") && KeyringSerial.isSerial(groupNumber.substring(1)))) {
        throw new CliException(
            2,
            "-groupnumber must be 1 followed by a serial number of "
                + KeyringSerial.DIGITS
                + " digits, got '"
                + groupNumber
                + "'");
      }
      String serial =
          which.serial != null ? which.serial : member(which.slot, null).slot().serialNumber();
      for (HaGroupEntry g : config().haGroups()) {
        boolean sameGroup = groupNumber == null || groupNumber.equals(g.serialNumber());
        if (sameGroup && g.memberSerials().contains(serial)) {
          throw new CliException(
              2,
              serial
                  + " is a member of HA group '"
                  + g.label()
                  + "' here: use hagroup removemember or deletegroup, which remove its member"
                  + " key");
        }
      }
      report(
          out(),
          groupNumber,
          HaMemberKeyRemoval.remove(clusters(), groupNumber, List.of(serial), password(password)));
    }
  }
}
