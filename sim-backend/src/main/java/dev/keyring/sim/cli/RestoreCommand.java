package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cluster restore run|show}: restores a backup from the admin user's files. */
@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    description = "Restores the cluster's keyrings from a backup in the admin user's files.",
    subcommands = {RestoreCommand.Run.class, RestoreCommand.Show.class})
final class RestoreCommand extends CommandGroup {

  static String line(JsonNode r) {
    return "Restore of '"
        + r.path("filename").asText()
        + "': "
        + r.path("status").asText()
        + ", "
        + r.path("keyringsDone").asText()
        + "/"
        + r.path("keyringsTotal").asText()
        + " keyrings"
        + (r.hasNonNull("message") ? " — " + r.path("message").asText() : "");
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Restores a backup (PUT /api/cluster/restore) on the primary, and prints its progress"
            + " until it ends.",
        "Stop the cluster service on every other member first; afterwards start them one at a"
            + " time, each once the one before is authorized."
      })
  static final class Run extends AdminCommand {
    @Option(
        names = {"-filename", "--filename"},
        required = true,
        paramLabel = "FILENAME",
        description = "The backup file in the admin user's files.")
    String filename;

    @Option(
        names = {"-type", "--type"},
        paramLabel = "keyring",
        description = "The kind of restore: keyring (the only one).")
    String type = "keyring";

    @Option(
        names = {"-restorepassword", "--restorepassword"},
        paramLabel = "PASSWORD",
        description = "The backup's password (asked for when absent).")
    String password;

    @Override
    void run(AdminConnection c) {
      String pw = Secrets.of(password, "-restorepassword", "the backup password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("filename", filename);
      body.put("password", pw);
      body.put("type", type);
      JsonNode r = c.send("PUT", "/api/cluster/restore", body);
      while ("running".equals(r.path("status").asText())) {
        out().println(line(r));
        out().flush();
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        r = c.get("/api/cluster/restore");
      }
      out().println(line(r));
      if (!"completed".equals(r.path("status").asText())) {
        throw new CliException(1, "the restore did not complete: " + r.path("message").asText());
      }
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Shows the state of the last restore (GET /api/cluster/restore).")
  static final class Show extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      out().println(line(c.get("/api/cluster/restore")));
    }
  }
}
