package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code partition create|init|show|policy|co}: the HSM's one V1 partition, as far as the admin API
 * offers it. Every change carries the credential it needs (SO, PO or CO): there are no HSM logins.
 */
@Command(
    name = "partition",
    mixinStandardHelpOptions = true,
    description =
        "The HSM's V1 partition for the cluster: create, initialize (PO, cloning domain), set a"
            + " policy, initialize and change the CO, back up and restore its SMK.",
    subcommands = {
      PartitionCommand.Create.class,
      PartitionCommand.Init.class,
      PartitionCommand.Show.class,
      PartitionCommand.Policy.class,
      PartitionCommand.Co.class,
      PartitionBackupCommands.Backup.class,
      PartitionBackupCommands.Restore.class
    })
final class PartitionCommand extends CommandGroup {

  static String path(AdminConnection c, String partition) {
    return "/api/lunasa/hsms/" + AdminCommand.hsmId(c) + "/partitions/" + partition;
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Creates the V1 partition (POST /api/lunasa/hsms/{id}/partitions), as the HSM SO.",
        "Only one V1 partition may exist on an appliance used for a cluster."
      })
  static final class Create extends AdminCommand {
    @Option(
        names = {"-label", "--label", "-partition", "--partition"},
        required = true,
        paramLabel = "LABEL",
        description = "The partition's label.")
    String label;

    @Option(
        names = "-version",
        paramLabel = "V1",
        defaultValue = "V1",
        description = "The partition version (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(
        names = {"-sopassword", "--sopassword", "-password", "--password"},
        paramLabel = "SO_PASSWORD",
        description = "The HSM SO's password (asked for when absent).")
    String soPassword;

    @Override
    void run(AdminConnection c) {
      label(label, "-label");
      String so = Secrets.of(soPassword, "-sopassword", "the HSM SO's password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("authentication", credential("SO", so, null));
      body.put("label", label);
      body.put("version", version);
      JsonNode p = c.send("POST", "/api/lunasa/hsms/" + hsmId(c) + "/partitions", body);
      out().println("partition '" + p.path("label").asText() + "' created (" + version + ")");
    }
  }

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Initializes the partition, its PO and its cloning domain (PUT"
            + " .../partitions/{label}), as the HSM SO.",
        "Every member of a cluster needs a partition of the same cloning domain."
      })
  static final class Init extends AdminCommand {
    @Option(
        names = {"-partition", "--partition", "-label", "--label"},
        required = true,
        paramLabel = "LABEL",
        description = "The partition's label.")
    String partition;

    @Option(
        names = {"-domain", "--domain"},
        required = true,
        paramLabel = "DOMAIN",
        description = "The cloning domain.")
    String domain;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "PO_PASSWORD",
        description = "The PO's new password (asked for when absent).")
    String poPassword;

    @Option(
        names = {"-sopassword", "--sopassword"},
        paramLabel = "SO_PASSWORD",
        description = "The HSM SO's password (asked for when absent).")
    String soPassword;

    @Override
    void run(AdminConnection c) {
      label(partition, "-partition");
      String so = Secrets.of(soPassword, "-sopassword", "the HSM SO's password");
      String po = Secrets.of(poPassword, "-password", "the partition PO's new password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("authentication", credential("SO", so, null));
      body.put("password", po);
      body.put("domain", domain);
      c.send("PUT", path(c, partition), body);
      out().println("partition '" + partition + "' initialized: PO set, cloning domain set");
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Shows the HSM's partitions (GET /api/lunasa/hsms/{id}/partitions).")
  static final class Show extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      List<JsonNode> all = list(c.get("/api/lunasa/hsms/" + hsmId(c) + "/partitions"));
      if (all.isEmpty()) {
        out().println("the HSM has no partition yet (partition create -label ...)");
      }
      for (JsonNode p : all) {
        print(out(), p);
      }
    }

    static void print(PrintWriter out, JsonNode p) {
      List<String> policies = new ArrayList<>();
      for (JsonNode x : p.path("policies")) {
        policies.add(x.path("policyid").asText() + "=" + x.path("value").asText());
      }
      fields(
          out,
          "Partition Label",
          text(p.path("label")),
          "Version",
          text(p.path("version")),
          "Initialized",
          yesNo(p.path("initialized")),
          "CO Initialized",
          yesNo(p.path("coInitialized")),
          "CO Must Change Password",
          yesNo(p.path("coMustChangePassword")),
          "Cloning Domain Fingerprint",
          text(p.path("cloningDomainFingerprint")),
          "SMK Present",
          yesNo(p.path("smkPresent")),
          "SMK Fingerprint",
          text(p.path("smkFingerprint")),
          "Policies",
          policies.isEmpty() ? "-" : String.join(", ", policies));
    }
  }

  @Command(
      name = "policy",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Sets a partition policy (PUT .../partitions/{label}/policies/{id}), as the PO.",
        "A cluster needs policy 40 (per-key authorization data) set to 0."
      })
  static final class Policy extends AdminCommand {
    @Mixin CommonOptions.Partition partitionOption;

    @Option(
        names = {"-policy", "--policy"},
        required = true,
        paramLabel = "NUMBER",
        description = "The policy number (0-99).")
    int policy;

    @Option(
        names = {"-value", "--value"},
        required = true,
        paramLabel = "0|1",
        description = "The new value.")
    int value;

    @Mixin CommonOptions.PoPassword poPassword;

    @Override
    void run(AdminConnection c) {
      String partition = partitionOption.label();
      if (policy < 0 || policy > 99) {
        throw new CliException(2, "-policy must be 0 to 99, got " + policy);
      }
      if (value != 0 && value != 1) {
        throw new CliException(2, "-value must be 0 or 1, got " + value);
      }
      String po = poPassword.get();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("authentication", credential("PO", po, partition));
      body.put("value", value);
      c.send("PUT", path(c, partition) + "/policies/" + policy, body);
      out().println("partition '" + partition + "' policy " + policy + " set to " + value);
    }
  }

  @Command(
      name = "co",
      mixinStandardHelpOptions = true,
      description = "The partition's Crypto Officer: initialize it, change its password.",
      subcommands = {Co.Init.class, Co.ChangePw.class})
  static final class Co extends CommandGroup {

    @Command(
        name = "init",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
          "Initializes the CO with an initial password (PUT .../roles/co), as the PO.",
          "The CO must change it (partition co changepw) before anything else."
        })
    static final class Init extends AdminCommand {
      @Mixin CommonOptions.Partition partitionOption;

      @Option(
          names = {"-password", "--password"},
          paramLabel = "CO_PASSWORD",
          description = "The CO's initial password (asked for when absent).")
      String coPassword;

      @Mixin CommonOptions.PoPassword poPassword;

      @Override
      void run(AdminConnection c) {
        String partition = partitionOption.label();
        String po = poPassword.get();
        String co = Secrets.of(coPassword, "-password", "the CO's initial password");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("authentication", credential("PO", po, partition));
        body.put("password", co);
        c.send("PUT", path(c, partition) + "/roles/co", body);
        out()
            .println(
                "CO of partition '" + partition + "' initialized; it must change its password");
      }
    }

    @Command(
        name = "changepw",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Changes the CO's password (PATCH .../roles/co), with its current one.")
    static final class ChangePw extends AdminCommand {
      @Mixin CommonOptions.Partition partitionOption;

      @Option(
          names = {"-oldpw", "--oldpw"},
          paramLabel = "PASSWORD",
          description = "The CO's current password (asked for when absent).")
      String oldPassword;

      @Option(
          names = {"-newpw", "--newpw"},
          paramLabel = "PASSWORD",
          description = "The CO's new password (asked for when absent).")
      String newPassword;

      @Override
      void run(AdminConnection c) {
        String partition = partitionOption.label();
        String current = Secrets.of(oldPassword, "-oldpw", "the CO's current password");
        String next = Secrets.of(newPassword, "-newpw", "the CO's new password");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("authentication", credential("CO", current, partition));
        body.put("newPassword", next);
        c.send("PATCH", path(c, partition) + "/roles/co", body);
        out().println("CO password of partition '" + partition + "' changed");
      }
    }
  }
}
