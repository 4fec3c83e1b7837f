package dev.keyring.client.cli;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.config.HaSettings;
import dev.keyring.client.ha.HaGroupChannel;
import dev.keyring.client.ha.HaGroups;
import dev.keyring.client.ha.HaMemberKey;
import dev.keyring.client.ha.HaMemberKeyRemoval;
import dev.keyring.client.ha.HaRecoveryReport;
import dev.keyring.client.ha.HaSynchronization;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.wire.CloningMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hagroup}: HA groups of keyring slots, possibly on different clusters, written to the
 * {@code VirtualToken} and {@code HAConfiguration} sections of the client configuration file.
 */
@Command(
    name = "hagroup",
    mixinStandardHelpOptions = true,
    description = {
      "HA groups: a virtual slot over keyring slots of one or more registered clusters. The group"
          + " is recorded in the configuration file (VirtualToken, HAConfiguration); the provider"
          + " opens it with KeyStore slot=<group label>."
    },
    subcommands = {
      HaGroupCommand.CreateGroup.class,
      HaGroupCommand.AddMember.class,
      HaGroupCommand.RemoveMember.class,
      HaGroupCommand.ListGroups.class,
      HaGroupCommand.Synchronize.class,
      HaGroupCommand.Recover.class,
      HaStandbyCommands.AddStandby.class,
      HaStandbyCommands.RemoveStandby.class,
      HaGroupCommand.HaOnly.class,
      HaLogCommand.class,
      HaGroupCommand.Retry.class,
      HaGroupCommand.Interval.class,
      HaGroupCommand.DeleteGroup.class,
      HaMemberKeyCommands.RemoveMemberKey.class
    })
final class HaGroupCommand extends CommandGroup {

  /** {@code -slot} or {@code -serialnumber}: which keyring slot. */
  static final class Which {
    @Option(
        names = {"-slot", "--slot"},
        paramLabel = "SLOT",
        description = "A slot of the cluster of --cluster: keyring label, UUID or slot number.")
    String slot;

    @Option(
        names = {"-serialnumber", "--serialnumber", "-serial", "--serial"},
        paramLabel = "SERIAL",
        description = "A slot's serial number (slot list shows it), on any registered cluster.")
    String serial;
  }

  abstract static class WithPassword extends HaCommand {
    @Option(
        names = {"-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The crypto officer's password, the same on every member (asked for).")
    String password;
  }

  @Command(
      name = "creategroup",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Creates an HA group whose primary member is the given slot, and leaves the HA group"
            + " member key on it.",
        "When the slot already carries a group member key (another client's group), -existing"
            + " says what to do: copy (keep it and share that group), remove (start over) or quit."
      })
  static final class CreateGroup extends WithPassword {
    @Option(
        names = {"-label", "--label"},
        required = true,
        paramLabel = "LABEL",
        description = "The group's label (not HA).")
    String label;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Option(
        names = {"-existing", "--existing"},
        paramLabel = "copy|remove|quit",
        description = "What to do with a group member key already on the slot.")
    String existing;

    @Override
    void run() throws TransportException {
      if (existing != null && !List.of("copy", "remove", "quit").contains(existing)) {
        throw new CliException(2, "-existing must be copy, remove or quit, got '" + existing + "'");
      }
      if (label.equalsIgnoreCase("HA")) {
        throw new CliException(2, "the group label 'HA' is reserved; choose another label");
      }
      if (config().haGroup(label).isPresent()) {
        throw new CliException(2, "an HA group labelled '" + label + "' already exists");
      }
      Found f = member(which.slot, which.serial);
      String serial = f.slot().serialNumber();
      String number = KeyringSerial.groupNumber(serial);
      int index = nextGroupIndex();
      try {
        new HaGroupEntry(index, label, number, List.of(serial)); // refused before the slot changes
      } catch (IllegalArgumentException e) {
        throw new CliException(2, e.getMessage());
      }
      try (KeyringChannel s =
          ClientCommand.login(
              clientOf(f.clusterIndex()), f.slot(), Role.KRCO, password(password))) {
        s.cloningOffer(); // the member answers for its cloning policies and domain
        List<CloningMessages.ClonableObject> keys = HaMemberKey.markers(s.clonableObjects());
        if (keys.isEmpty()) {
          s.createObject(HaMemberKey.template(number, label));
        } else {
          String other = HaMemberKey.groupNumber(keys.get(0).label()).orElseThrow();
          String action =
              choose(
                  existing,
                  "slot "
                      + serial
                      + " already carries the HA group member key of group "
                      + other
                      + ". Type 'copy' to keep it and share that group, 'remove' to remove it and"
                      + " start over, or 'quit' to create nothing");
          if (action.equals("quit")) {
            out().println("No group was created.");
            return;
          }
          if (action.equals("copy")) {
            number = other;
            out()
                .println(
                    "Keeping the HA group member key: this client shares group " + other + ".");
          } else {
            for (CloningMessages.ClonableObject k : keys) {
              s.destroyObject(k.handle());
            }
            s.createObject(HaMemberKey.template(number, label));
          }
        }
      }
      HaGroupEntry entry = new HaGroupEntry(index, label, number, List.of(serial));
      save(config().withHaGroup(entry));
      out()
          .println(
              "New group with label \""
                  + label
                  + "\" created with group number "
                  + entry.serialNumber()
                  + ".");
      HaGroupText.print(out(), entry, Map.of(serial, "alive"), Map.of(serial, f.slot().label()));
    }
  }

  @Command(
      name = "addmember",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Adds a slot to an HA group once it meets the prerequisites (cloning domain, policies 0,"
            + " 4, 7, 16, the same 12, the same crypto officer password).",
        "When the new member already holds objects, -existing says what to do: copy (keep them"
            + " and synchronize), remove (destroy them first) or quit (add nothing)."
      })
  static final class AddMember extends WithPassword {
    @Option(
        names = {"-group", "--group"},
        required = true,
        paramLabel = "LABEL",
        description = "The group's label.")
    String groupLabel;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Option(
        names = {"-existing", "--existing"},
        paramLabel = "copy|remove|quit",
        description = "What to do with objects already on the new member.")
    String existing;

    @Override
    void run() throws TransportException {
      HaGroupEntry g = group(groupLabel);
      if (existing != null && !List.of("copy", "remove", "quit").contains(existing)) {
        throw new CliException(2, "-existing must be copy, remove or quit, got '" + existing + "'");
      }
      Found f = member(which.slot, which.serial);
      String serial = f.slot().serialNumber();
      if (g.memberSerials().contains(serial)) {
        throw new CliException(2, "slot " + serial + " is already a member of '" + g.label() + "'");
      }
      String pw = password(password);
      CloningMessages.CloningOffer primary = anyMemberOffer(g, pw);
      KeyringChannel candidate;
      try {
        candidate = ClientCommand.login(clientOf(f.clusterIndex()), f.slot(), Role.KRCO, pw);
      } catch (HsmException e) {
        if (e.code() == ResultCode.CKR_PIN_INCORRECT) {
          throw HaPrerequisites.credentialDiffers(g.label(), serial, e);
        }
        throw e;
      }
      boolean needsSync;
      try (candidate) {
        HaPrerequisites.require(g.label(), primary, candidate.cloningOffer());
        List<CloningMessages.ClonableObject> objects =
            candidate.clonableObjects().stream()
                .filter(
                    o ->
                        !HaMemberKey.groupNumber(o.label())
                            .map(g.serialNumber()::equals)
                            .orElse(false))
                .toList();
        needsSync = !objects.isEmpty();
        if (!objects.isEmpty()) {
          String action = existing;
          if (action == null) {
            throw new CliException(
                2,
                "slot "
                    + serial
                    + " already holds "
                    + objects.size()
                    + " objects: give -existing copy (keep and replicate them), remove (destroy"
                    + " them) or quit");
          }
          if (action.equals("quit")) {
            out().println("Member " + serial + " was not added to group " + g.label() + ".");
            return;
          }
          if (action.equals("remove")) {
            for (CloningMessages.ClonableObject o : objects) {
              candidate.destroyObject(o.handle());
            }
            needsSync = false;
          }
        }
        if (candidate.clonableObjects().stream()
            .noneMatch(
                o -> HaMemberKey.groupNumber(o.label()).equals(Optional.of(g.serialNumber())))) {
          candidate.createObject(HaMemberKey.template(g.serialNumber(), g.label()));
        }
      }
      List<String> members = new ArrayList<>(g.memberSerials());
      members.add(serial);
      HaGroupEntry next = g.withMembers(members);
      save(config().withHaGroup(next));
      out().println("Member " + serial + " successfully added to group " + g.label() + ".");
      out().println("Needs sync: " + (needsSync ? "yes" : "no"));
      out()
          .println(
              "Use \"hagroup synchronize -group "
                  + g.label()
                  + "\" when no application is running to replicate objects between the members.");
    }

    private CloningMessages.CloningOffer anyMemberOffer(HaGroupEntry g, String pw)
        throws TransportException {
      Exception failure = null;
      for (String s : g.memberSerials()) {
        try {
          Found m = member(null, s);
          try (KeyringChannel c =
              ClientCommand.login(clientOf(m.clusterIndex()), m.slot(), Role.KRCO, pw)) {
            return c.cloningOffer();
          }
        } catch (TransportException | HsmException e) {
          failure = e;
        }
      }
      if (failure instanceof HsmException) {
        throw (HsmException) failure;
      }
      throw (TransportException) failure;
    }
  }

  @Command(
      name = "removemember",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description =
          "Removes a member (by serial number) from an HA group and its HA group member key from"
              + " it (logs in); its other objects stay on it.")
  static final class RemoveMember extends WithPassword {
    @Option(
        names = {"-group", "--group"},
        required = true,
        paramLabel = "LABEL",
        description = "The group's label.")
    String groupLabel;

    @Option(
        names = {"-serialnumber", "--serialnumber", "-serial", "--serial"},
        required = true,
        paramLabel = "SERIAL",
        description = "The member's serial number.")
    String serial;

    @Override
    void run() {
      HaGroupEntry g = group(groupLabel);
      if (!g.memberSerials().contains(serial)) {
        throw new CliException(2, serial + " is not a member of HA group '" + g.label() + "'");
      }
      if (g.memberSerials().size() == 1) {
        throw new CliException(
            2, serial + " is the last member of '" + g.label() + "': use hagroup deletegroup");
      }
      List<String> members = new ArrayList<>(g.memberSerials());
      members.remove(serial);
      if (g.activeSerials().equals(List.of(serial))) {
        throw new CliException(
            2,
            serial
                + " is the only active member of '"
                + g.label()
                + "': make a standby member active first (hagroup removestandby)");
      }
      List<HaMemberKeyRemoval.Outcome> keys =
          HaMemberKeyRemoval.remove(
              clusters(), g.serialNumber(), List.of(serial), password(password));
      save(config().withHaGroup(g.withMembers(members)));
      out().println("Member " + serial + " removed from group " + g.label() + ".");
      HaMemberKeyCommands.report(out(), g.serialNumber(), keys);
    }
  }

  @Command(
      name = "listgroups",
      mixinStandardHelpOptions = true,
      description = "Lists the HA groups with each member's state (logs in on every member).")
  static final class ListGroups extends WithPassword {
    @Override
    void run() throws TransportException {
      if (config().haGroups().isEmpty()) {
        out().println("No HA groups are configured.");
        return;
      }
      String pw = password(password);
      for (HaGroupEntry g : config().haGroups()) {
        try (HaGroupChannel c = HaGroups.open(config(), g, clusters())) {
          c.login(Role.KRCO, pw);
          List<String> needing = c.membersNeedingSync();
          HaGroupText.print(out(), g, c.memberStatus(), c.memberLabels(), needing);
        } catch (TransportException e) {
          HaGroupText.print(out(), g, Map.of(), Map.of());
          out().println("Every member is down: " + e.getMessage());
        }
      }
    }
  }

  @Command(
      name = "synchronize",
      mixinStandardHelpOptions = true,
      description =
          "Clones every object a member lacks onto it. Run it while no application uses the group.")
  static final class Synchronize extends WithPassword {
    @Option(
        names = {"-group", "--group"},
        required = true,
        paramLabel = "LABEL",
        description = "The group's label.")
    String groupLabel;

    @Override
    void run() throws TransportException {
      HaGroupEntry g = group(groupLabel);
      try (HaGroupChannel c = HaGroups.open(config(), g, clusters())) {
        c.login(Role.KRCO, password(password));
        HaSynchronization r = c.synchronize();
        out().println("Synchronized group " + g.label() + ": " + r.cloned() + " objects cloned.");
        HaGroupText.print(out(), g, c.memberStatus(), c.memberLabels(), List.of());
        HaGroupText.conflicts(r);
      }
    }
  }

  @Command(
      name = "recover",
      mixinStandardHelpOptions = true,
      description = "Tries the members that are down and brings them up to date.")
  static final class Recover extends WithPassword {
    @Option(
        names = {"-group", "--group"},
        required = true,
        paramLabel = "LABEL",
        description = "The group's label.")
    String groupLabel;

    @Override
    void run() throws TransportException {
      HaGroupEntry g = group(groupLabel);
      try (HaGroupChannel c = HaGroups.open(config(), g, clusters())) {
        c.login(Role.KRCO, password(password));
        HaRecoveryReport back = c.recover();
        HaSynchronization r = c.synchronize();
        int n = back.cloned() + r.cloned();
        out()
            .println(
                "Recovered: "
                    + (back.recovered().isEmpty() ? "<none>" : String.join(", ", back.recovered()))
                    + "; "
                    + n
                    + " objects cloned.");
        HaGroupText.print(out(), g, c.memberStatus(), c.memberLabels(), List.of());
        LinkedHashSet<String> conflicts = new LinkedHashSet<>(back.conflicts());
        conflicts.addAll(r.conflicts()); // recovery and synchronization report one conflict alike
        HaGroupText.conflicts(new HaSynchronization(n, List.copyOf(conflicts)));
      }
    }
  }

  @Command(
      name = "haonly",
      mixinStandardHelpOptions = true,
      description = "HA-only mode (HAOnly): whether only the groups' virtual slots are shown.")
  static final class HaOnly extends HaCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Toggle toggle;

    static final class Toggle {
      @Option(
          names = {"-enable", "--enable"},
          required = true)
      boolean enable;

      @Option(
          names = {"-disable", "--disable"},
          required = true)
      boolean disable;
    }

    @Override
    void run() {
      HaSettings s = config().haSettings().withHaOnly(toggle.enable);
      save(config().withHaSettings(s));
      out().println("HA only mode " + (toggle.enable ? "enabled" : "disabled") + ".");
    }
  }

  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description = "How many times a failed member is tried again (reconnAtt; -1 without limit).")
  static final class Retry extends HaCommand {
    @Option(
        names = {"-count", "--count"},
        required = true,
        paramLabel = "N",
        description = "-1 (no limit), 0 (no auto-recovery) or a number of attempts.")
    int count;

    @Override
    void run() {
      if (count < -1 || count > 500) {
        throw new CliException(2, "-count must be -1 (no limit) or 0 to 500, got " + count);
      }
      save(config().withHaSettings(config().haSettings().withReconnectAttempts(count)));
      out().println("HA auto-recovery attempts set to " + count + ".");
    }
  }

  @Command(
      name = "interval",
      mixinStandardHelpOptions = true,
      description = "The pause between auto-recovery attempts (AutoReconnectInterval).")
  static final class Interval extends HaCommand {
    @Option(
        names = {"-seconds", "--seconds"},
        required = true,
        paramLabel = "SECONDS",
        description = "1 to 3600 seconds.")
    int seconds;

    @Override
    void run() {
      if (seconds < 1 || seconds > 3600) {
        throw new CliException(2, "-seconds must be 1 to 3600, got " + seconds);
      }
      save(
          config()
              .withHaSettings(
                  config().haSettings().withAutoReconnectInterval(Duration.ofSeconds(seconds))));
      out().println("HA auto-recovery interval set to " + seconds + " seconds.");
    }
  }

  @Command(
      name = "deletegroup",
      mixinStandardHelpOptions = true,
      description =
          "Deletes an HA group from the configuration and its HA group member key from every"
              + " member (logs in); the members' other objects stay.")
  static final class DeleteGroup extends WithPassword {
    @Option(
        names = {"-label", "--label"},
        required = true,
        paramLabel = "LABEL",
        description = "The group's label.")
    String label;

    @Override
    void run() {
      HaGroupEntry g = group(label);
      List<HaMemberKeyRemoval.Outcome> keys =
          HaMemberKeyRemoval.remove(
              clusters(), g.serialNumber(), g.memberSerials(), password(password));
      save(config().withoutHaGroup(g.index()));
      out().println("HA group " + g.label() + " deleted.");
      HaMemberKeyCommands.report(out(), g.serialNumber(), keys);
    }
  }
}
