package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import dev.keyring.protocol.cli.Table;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code token backup list|attach|detach|init|partition list}: the Luna Backup HSMs connected to
 * the appliance. A backup HSM is a directory of its own; "connecting" it (USB on the appliance) is
 * attaching that directory.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Tokens connected to the appliance: Luna Backup HSMs.",
    subcommands = {TokenCommand.Backup.class})
final class TokenCommand extends CommandGroup {
  static final String PATH = "/api/lunasa/token/backup";

  static String serial(String value) {
    if (value == null || !value.matches("[0-9A-Za-z_.-]{1,64}")) {
      throw new CliException(2, "-serial must be the backup HSM's serial number");
    }
    return value;
  }

  @Command(
      name = "backup",
      mixinStandardHelpOptions = true,
      description = "Luna Backup HSMs: list, connect (attach), disconnect, initialize.",
      subcommands = {
        Backup.ListDevices.class,
        Backup.Attach.class,
        Backup.Detach.class,
        Backup.Init.class,
        Backup.Partition.class
      })
  static final class Backup extends CommandGroup {

    @Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "Lists the connected backup HSMs (GET /api/lunasa/token/backup).")
    static final class ListDevices extends AdminCommand {
      @Override
      void run(AdminConnection c) {
        Table t = new Table("Serial", "Label", "Initialized", "Backups", "Path");
        for (JsonNode n : list(c.get(PATH))) {
          t.row(
              text(n.path("serial")),
              text(n.path("label")),
              yesNo(n.path("initialized")),
              n.path("partitions").asText(),
              text(n.path("path")));
        }
        if (t.size() == 0) {
          out().println("No backup HSM is connected (token backup attach -path DIR).");
          return;
        }
        t.print(out());
      }
    }

    @Command(
        name = "attach",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
          "Connects the backup HSM in a directory (POST /api/lunasa/token/backup); an empty or"
              + " missing directory becomes a new backup HSM with a new serial number.",
          "The directory is on the member's host, outside the member's data directory."
        })
    static final class Attach extends AdminCommand {
      @Option(
          names = {"-path", "--path"},
          required = true,
          paramLabel = "DIR",
          description = "The backup HSM's directory (absolute).")
      String path;

      @Override
      void run(AdminConnection c) {
        JsonNode d = c.send("POST", PATH, Map.of("path", path));
        out()
            .println(
                "backup HSM "
                    + d.path("serial").asText()
                    + " connected ("
                    + (d.path("initialized").asBoolean() ? "initialized" : "not initialized")
                    + ")");
      }
    }

    @Command(
        name = "detach",
        mixinStandardHelpOptions = true,
        description =
            "Disconnects a backup HSM (DELETE /api/lunasa/token/backup/{serial}); its backups"
                + " stay in its directory.")
    static final class Detach extends AdminCommand {
      @Mixin CommonOptions.BackupSerial serial;

      @Override
      void run(AdminConnection c) {
        c.send("DELETE", PATH + "/" + serial.checked(), null);
        out().println("backup HSM " + serial.value + " disconnected");
      }
    }

    @Command(
        name = "init",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
            "Initializes a connected backup HSM: label, HSM SO password and cloning domain (PUT"
                + " /api/lunasa/token/backup/{serial}).")
    static final class Init extends AdminCommand {
      @Option(
          names = {"-label", "--label"},
          required = true,
          paramLabel = "LABEL",
          description = "The backup HSM's label.")
      String label;

      @Mixin CommonOptions.BackupSerial serial;

      @Option(
          names = {"-sopassword", "--sopassword"},
          paramLabel = "PASSWORD",
          description = "The backup HSM SO's new password (asked for when absent).")
      String soPassword;

      @Option(
          names = {"-domain", "--domain"},
          paramLabel = "DOMAIN",
          description = "The backup HSM's cloning domain (asked for when absent).")
      String domain;

      @Override
      void run(AdminConnection c) {
        String sn = serial.checked();
        String so = Secrets.of(soPassword, "-sopassword", "the backup HSM SO's new password");
        String d = Secrets.of(domain, "-domain", "the backup HSM's cloning domain");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("label", label);
        body.put("password", so);
        body.put("domain", d);
        c.send("PUT", PATH + "/" + sn, body);
        out().println("backup HSM " + sn + " initialized with label '" + label + "'");
      }
    }

    @Command(
        name = "partition",
        mixinStandardHelpOptions = true,
        description = "The SMK backups a backup HSM holds.",
        subcommands = {Partition.ListBackups.class})
    static final class Partition extends CommandGroup {
      @Command(
          name = "list",
          mixinStandardHelpOptions = true,
          description =
              "Lists the SMK backups on a backup HSM (GET"
                  + " /api/lunasa/token/backup/{serial}/partitions); the SMK column is a"
                  + " fingerprint of the key, never the key.")
      static final class ListBackups extends AdminCommand {
        @Mixin CommonOptions.BackupSerial serial;

        @Override
        void run(AdminConnection c) {
          Table t = new Table("Label", "Source Partition", "Source HSM", "Created", "SMK");
          for (JsonNode n : list(c.get(PATH + "/" + serial.checked() + "/partitions"))) {
            t.row(
                text(n.path("tokenpar")),
                text(n.path("sourcePartition")),
                text(n.path("sourceSerial")),
                text(n.path("createdAt")),
                text(n.path("smkFingerprint")));
          }
          if (t.size() == 0) {
            out().println("Backup HSM " + serial.value + " holds no backup.");
            return;
          }
          t.print(out());
        }
      }
    }
  }
}
