package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.Secrets;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code partition backup} and {@code partition restore}: the cluster partition's SMK to and from a
 * connected Luna Backup HSM ({@code token backup ...}).
 */
final class PartitionBackupCommands {
  private PartitionBackupCommands() {}

  @Command(
      name = "backup",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Backs up the partition's SMK to a connected backup HSM (POST"
            + " .../partitions/{label}/backup).",
        "The SMK leaves the HSM only cloned to the backup HSM, for the cloning domain given."
      })
  static final class Backup extends AdminCommand {
    @Mixin CommonOptions.Partition partitionOption;

    @Mixin CommonOptions.BackupSerial serial;

    @Option(
        names = {"-tokenpar", "--tokenpar"},
        paramLabel = "LABEL",
        description = "The backup's label (default: <partition>_<YYYYMMDD>, UTC).")
    String tokenpar;

    @Option(
        names = {"-replace", "--replace"},
        description = "Overwrite an existing backup of that label.")
    boolean replace;

    @Mixin CommonOptions.CoPassword coPassword;

    @Option(
        names = {"-sopassword", "--sopassword"},
        paramLabel = "PASSWORD",
        description = "The backup HSM SO's password (asked for when absent).")
    String soPassword;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "PASSWORD",
        description = "A new password for the backup partition (asked for when absent).")
    String backupPassword;

    @Option(
        names = {"-domain", "--domain"},
        paramLabel = "DOMAIN",
        description =
            "The backup partition's cloning domain, the cluster partition's (asked for when"
                + " absent).")
    String domain;

    @Override
    void run(AdminConnection c) {
      String partition = partitionOption.label();
      String sn = serial.checked();
      if (tokenpar != null) {
        label(tokenpar, "-tokenpar");
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("serial", sn);
      if (tokenpar != null) {
        body.put("tokenpar", tokenpar);
      }
      body.put("coPassword", coPassword.get());
      body.put(
          "backupSoPassword",
          Secrets.of(soPassword, "-sopassword", "the backup HSM SO's password"));
      body.put(
          "backupPartitionPassword",
          Secrets.of(backupPassword, "-password", "a new password for the backup partition"));
      body.put("domain", Secrets.of(domain, "-domain", "the cluster partition's cloning domain"));
      if (replace) {
        body.put("replace", true);
      }
      JsonNode r = c.send("POST", PartitionCommand.path(c, partition) + "/backup", body);
      out()
          .println(
              "SMK "
                  + r.path("smkFingerprint").asText()
                  + " of partition '"
                  + partition
                  + "' backed up to '"
                  + r.path("tokenpar").asText()
                  + "' on backup HSM "
                  + sn
                  + (r.path("replaced").asBoolean() ? " (replaced)" : ""));
    }
  }

  @Command(
      name = "restore",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Restores an SMK from a backup HSM into the partition (POST"
            + " .../partitions/{label}/restore); then create a cluster, which uses it.",
        "Refused when the partition already encrypts a cluster."
      })
  static final class Restore extends AdminCommand {
    @Mixin CommonOptions.Partition partitionOption;

    @Option(
        names = {"-tokenpar", "--tokenpar"},
        required = true,
        paramLabel = "LABEL",
        description = "The backup's label (token backup partition list).")
    String tokenpar;

    @Mixin CommonOptions.BackupSerial serial;

    @Option(
        names = {"-add", "--add"},
        required = true,
        description = "Add the SMK to the partition (the only restore mode of an SMK).")
    boolean add;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The backup partition's password (asked for when absent).")
    String backupPassword;

    @Mixin CommonOptions.CoPassword coPassword;

    @Override
    void run(AdminConnection c) {
      String partition = partitionOption.label();
      String sn = serial.checked();
      label(tokenpar, "-tokenpar");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("serial", sn);
      body.put("tokenpar", tokenpar);
      body.put(
          "backupPartitionPassword",
          Secrets.of(backupPassword, "-password", "the backup partition's password"));
      body.put("coPassword", coPassword.get());
      JsonNode r = c.send("POST", PartitionCommand.path(c, partition) + "/restore", body);
      out()
          .println(
              "SMK "
                  + r.path("smkFingerprint").asText()
                  + " restored into partition '"
                  + partition
                  + "' from '"
                  + tokenpar
                  + "' on backup HSM "
                  + sn
                  + "; a cluster created on this partition uses it");
    }
  }
}
