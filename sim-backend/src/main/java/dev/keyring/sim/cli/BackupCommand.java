package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cluster backup run|config|enable|disable|show}: backups of the whole cluster into the
 * admin user's files (PUT /api/clusters/{id}/backup), on the primary.
 */
@Command(
    name = "backup",
    mixinStandardHelpOptions = true,
    description = "Backs the cluster up, now or on a weekly schedule, into the admin user's files.",
    subcommands = {
      BackupCommand.Run.class,
      BackupCommand.Config.class,
      BackupCommand.Enable.class,
      BackupCommand.Disable.class,
      BackupCommand.Show.class
    })
final class BackupCommand extends CommandGroup {

  static JsonNode act(AdminConnection c, String clusterId, Map<String, Object> body) {
    return c.send("PUT", "/api/clusters/" + AdminCommand.clusterId(c, clusterId) + "/backup", body);
  }

  static void show(AdminCommand cmd, JsonNode r) {
    AdminCommand.fields(
        cmd.out(),
        "Filename Prefix",
        AdminCommand.text(r.path("filename")),
        "Total",
        r.path("total").isNull() ? "-" : r.path("total").asText(),
        "Time (d:hh:mm UTC)",
        AdminCommand.text(r.path("time")),
        "Enabled",
        r.path("enabled").asBoolean() ? "True" : "False",
        "Runs Here",
        r.path("runsHere").asBoolean() ? "True" : "False",
        "Next Run",
        AdminCommand.text(r.path("nextRun")));
    if (r.hasNonNull("note")) {
      cmd.out().println("Note: " + r.path("note").asText());
    }
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description =
          "Backs the cluster up now into the admin user's file FILENAME (replaced if it exists).")
  static final class Run extends AdminCommand {
    @Mixin ClusterCommand.ClusterOption cluster;

    @Option(
        names = {"-filename", "--filename"},
        required = true,
        paramLabel = "FILENAME",
        description = "1 to 64 characters of A-Z a-z 0-9 - . _")
    String filename;

    @Option(
        names = {"-backuppassword", "--backuppassword"},
        paramLabel = "PASSWORD",
        description = "The password a restore will need (asked for when absent).")
    String password;

    @Override
    void run(AdminConnection c) {
      String pw = Secrets.of(password, "-backuppassword", "the backup password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("action", "run");
      body.put("filename", filename);
      body.put("password", pw);
      JsonNode r = act(c, cluster == null ? null : cluster.clusterId, body);
      out()
          .println(
              "Backup '"
                  + r.path("filename").asText()
                  + "' written: "
                  + r.path("keyrings").asText()
                  + " keyrings, "
                  + r.path("objects").asText()
                  + " objects, "
                  + r.path("size").asText()
                  + " bytes.");
    }
  }

  @Command(
      name = "config",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Sets the weekly schedule (disable scheduled backups first to change it).")
  static final class Config extends AdminCommand {
    @Mixin ClusterCommand.ClusterOption cluster;

    @Option(
        names = {"-filename", "--filename"},
        required = true,
        paramLabel = "PREFIX",
        description = "Prefix of the backup files (1 to 50 characters of A-Z a-z 0-9 - . _).")
    String filename;

    @Option(
        names = {"-number", "--number"},
        required = true,
        paramLabel = "1-15",
        description = "How many scheduled backups are kept; the oldest is deleted.")
    int number;

    @Option(
        names = {"-time", "--time"},
        required = true,
        paramLabel = "d:hh:mm",
        description = "Day of the week (0 = Sunday), hour and minute, UTC.")
    String time;

    @Override
    void run(AdminConnection c) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("action", "config");
      body.put("filename", filename);
      body.put("total", number);
      body.put("time", time);
      show(this, act(c, cluster == null ? null : cluster.clusterId, body));
    }
  }

  @Command(
      name = "enable",
      mixinStandardHelpOptions = true,
      description = "Enables scheduled backups on this primary, with their password.")
  static final class Enable extends AdminCommand {
    @Mixin ClusterCommand.ClusterOption cluster;

    @Option(
        names = {"-backuppassword", "--backuppassword"},
        paramLabel = "PASSWORD",
        description = "The password a restore will need (asked for when absent).")
    String password;

    @Override
    void run(AdminConnection c) {
      String pw = Secrets.of(password, "-backuppassword", "the backup password");
      show(
          this,
          act(
              c,
              cluster == null ? null : cluster.clusterId,
              Map.of("action", "enable", "password", pw)));
    }
  }

  @Command(
      name = "disable",
      mixinStandardHelpOptions = true,
      description = "Disables scheduled backups (the schedule is kept).")
  static final class Disable extends AdminCommand {
    @Mixin ClusterCommand.ClusterOption cluster;

    @Override
    void run(AdminConnection c) {
      show(this, act(c, cluster == null ? null : cluster.clusterId, Map.of("action", "disable")));
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Shows the backup schedule.")
  static final class Show extends AdminCommand {
    @Mixin ClusterCommand.ClusterOption cluster;

    @Override
    void run(AdminConnection c) {
      show(this, act(c, cluster == null ? null : cluster.clusterId, Map.of("action", "show")));
    }
  }
}
