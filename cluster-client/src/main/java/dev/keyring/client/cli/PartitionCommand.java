package dev.keyring.client.cli;

import dev.keyring.client.KeyringChannel;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.KeyringObject;
import dev.keyring.client.Slot;
import dev.keyring.client.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Role;
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
  static final class Contents extends ClientCommand {
    @Option(
        names = {"-slot", "--slot"},
        required = true,
        paramLabel = "SLOT",
        description = "The slot: keyring label, keyring UUID or slot number.")
    String slotName;

    @Option(
        names = {"-name", "--name"},
        paramLabel = "po|co",
        defaultValue = "co",
        description = "The role to log in as (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The keyring's password (asked for when absent).")
    String password;

    private Role role;
    private String secret;

    @Override
    void prepare() {
      role = role(name);
      secret = Secrets.of(password, "-password", "the keyring's password");
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
      String format = "%-8s  %-12s  %-15s  %s%n";
      out().printf(format, "Handle", "Class", "Key Type", "Label");
      objects.stream()
          .sorted(Comparator.comparingLong(KeyringObject::handle))
          .forEach(
              o ->
                  out()
                      .printf(
                          format,
                          o.handle(),
                          o.objectClass().name(),
                          o.attributes().keyType().map(Enum::name).orElse("-"),
                          o.label().isEmpty() ? "-" : o.label()));
      out().println();
      out().println("Number of objects: " + objects.size());
    }
  }
}
