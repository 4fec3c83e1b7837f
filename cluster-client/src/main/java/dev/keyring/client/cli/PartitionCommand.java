package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Table;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code partition contents}: the objects on a keyring. */
@Command(
    name = "partition",
    mixinStandardHelpOptions = true,
    description = "A keyring slot seen as a partition.",
    subcommands = {PartitionCommand.Contents.class})
final class PartitionCommand extends CommandGroup {

  @Command(
      name = "contents",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Lists the objects on a slot: handle, class, key type and label.")
  static final class Contents extends SlotLoginCommand {
    @Option(
        names = {"-name", "--name"},
        paramLabel = "po|co",
        defaultValue = "co",
        description = "The role to log in as (default: ${DEFAULT-VALUE}).")
    String name;

    private Role role;
    private String secret;

    @Override
    void prepare() {
      role = role(name);
      secret = password("the keyring's password");
    }

    @Override
    void run(KeyringClient kc) throws TransportException {
      Slot slot = slot(kc, slotName);
      List<KeyringObject> objects;
      try (KeyringChannel s = login(kc, slot, role, secret)) {
        objects = s.findObjects(Attributes.empty());
        s.logout();
      }
      out()
          .println(
              "Objects on slot "
                  + slot.slotId()
                  + " ("
                  + slot.label()
                  + ") visible to the "
                  + roleName(role)
                  + ":");
      out().println();
      Table table = new Table("Handle", "Class", "Key Type", "Label").minWidths(8, 12, 15);
      objects.stream()
          .sorted(Comparator.comparingLong(KeyringObject::handle))
          .forEach(
              o ->
                  table.row(
                      o.handle(),
                      o.objectClass().name(),
                      o.attributes().keyType().map(Enum::name).orElse("-"),
                      o.label().isEmpty() ? "-" : o.label()));
      table.print(out());
      out().println();
      out().println("Number of objects: " + objects.size());
    }
  }
}
