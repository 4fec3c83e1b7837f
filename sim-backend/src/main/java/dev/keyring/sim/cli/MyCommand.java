package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Table;
import picocli.CommandLine.Command;

/** {@code my file list}: the files of the appliance user you are (backups are the admin's). */
@Command(
    name = "my",
    mixinStandardHelpOptions = true,
    description = "Your own things on the appliance: your files.",
    subcommands = {MyCommand.File.class})
final class MyCommand extends CommandGroup {
  @Command(
      name = "file",
      mixinStandardHelpOptions = true,
      description = "Your files.",
      subcommands = {File.ListFiles.class})
  static final class File extends CommandGroup {
    @Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "Lists your files (GET /users/{userId}/files).")
    static final class ListFiles extends AdminCommand {
      @Override
      void run(AdminConnection c) {
        Table t = new Table("Name", "Size", "Modified");
        for (JsonNode n : list(c.get("/users/" + c.user() + "/files"))) {
          t.row(text(n.path("name")), n.path("size").asText(), text(n.path("modified")));
        }
        if (t.size() == 0) {
          out().println("You have no files.");
          return;
        }
        t.print(out());
      }
    }
  }
}
