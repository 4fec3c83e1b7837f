package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import dev.keyring.protocol.cli.Table;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keyring create|list|show|delete|unlock}: the cluster's keyrings; {@code assignments,
 * assign, unassign, assignment-mode}: which clients see them ({@link KeyringAssignmentCommands}).
 */
@Command(
    name = "keyring",
    mixinStandardHelpOptions = true,
    description =
        "The cluster's keyrings: create, list, show, unlock, delete; assign them to clients.",
    subcommands = {
      KeyringCommand.Create.class,
      KeyringCommand.ListKeyrings.class,
      KeyringCommand.Show.class,
      KeyringCommand.Delete.class,
      KeyringCommand.Unlock.class,
      KeyringAssignmentCommands.Show.class,
      KeyringAssignmentCommands.Assign.class,
      KeyringAssignmentCommands.Unassign.class,
      KeyringAssignmentCommands.Mode.class
    })
final class KeyringCommand extends CommandGroup {

  /** {@code -keyringid UUID | -label LABEL}. */
  static final class Which {
    @Option(
        names = {"-keyringid", "--keyringid"},
        required = true,
        paramLabel = "UUID",
        description = "The keyring's UUID.")
    String keyringId;

    @Option(
        names = {"-label", "--label"},
        required = true,
        paramLabel = "LABEL",
        description = "The keyring's label.")
    String label;

    String segment() {
      return keyringId != null
          ? AdminCommand.uuid(keyringId, "-keyringid")
          : AdminCommand.label(label, "-label");
    }
  }

  static String status(JsonNode k) {
    if (k.path("locked").asBoolean()) {
      return "locked";
    }
    if (k.path("passwordChangeRequired").asBoolean()) {
      return "initial password";
    }
    if (!k.path("krcoInitialized").asBoolean()) {
      return "KRCO not initialized";
    }
    return "ready";
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Creates keyrings labelled LABEL followed by INDEX, INDEX+1, ... (POST /api/keyrings),"
            + " with the partition CO's credential. Their initial password belongs to the KRSO,"
            + " who must change it (keyringcm role changepw -name po).",
        "Creation is atomic: the member creates all the keyrings of one call or none, and the"
            + " progress lines are printed as its answer is read."
      })
  static final class Create extends AdminCommand {
    @Option(
        names = {"-label", "--label"},
        required = true,
        paramLabel = "LABEL",
        description = "The keyrings' label (the index is appended).")
    String label;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The keyrings' initial (KRSO) password (asked for when absent).")
    String password;

    @Mixin CommonOptions.Partition partitionOption;

    @Option(
        names = {"-total", "--total"},
        paramLabel = "N",
        defaultValue = "1",
        description = "How many to create, 1 to 100 (default: ${DEFAULT-VALUE}).")
    int total;

    @Option(
        names = {"-index", "--index"},
        paramLabel = "N",
        description = "The first index appended to the label.")
    Integer index;

    @Mixin CommonOptions.CoPassword coPassword;

    @Override
    void run(AdminConnection c) {
      label(label, "-label");
      String partition = partitionOption.label();
      if (total < 1 || total > KeyringLimits.MAX_KEYRINGS_PER_CREATE) {
        throw new CliException(
            2, "-total must be 1 to " + KeyringLimits.MAX_KEYRINGS_PER_CREATE + ", got " + total);
      }
      if (index != null && index < 0) {
        throw new CliException(2, "-index must not be negative, got " + index);
      }
      String initial = Secrets.of(password, "-password", "the keyrings' initial password");
      String co = coPassword.get();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("authentication", credential("CO", co, partition));
      body.put("keyRingLabel", label);
      body.put("keyRingPassword", initial);
      body.put("total", total);
      if (index != null) {
        body.put("index", index);
      }
      List<JsonNode> created = list(c.send("POST", "/api/keyrings", body));
      int i = 0;
      for (JsonNode k : created) {
        out()
            .printf(
                "created %s (%d/%d)  %s%n",
                k.path("keyRingLabel").asText(),
                ++i,
                created.size(),
                k.path("keyRingUUID").asText());
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Lists the cluster's keyrings with their UUIDs (GET /api/keyrings).")
  static final class ListKeyrings extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      Table t = new Table("Label", "Keyring ID", "Status", "Failed Logins");
      for (JsonNode k : list(c.get("/api/keyrings"))) {
        t.row(
            text(k.path("keyRingLabel")),
            text(k.path("keyRingUUID")),
            status(k),
            text(k.path("failedLogins")));
      }
      t.print(out());
      out().println(t.size() + (t.size() == 1 ? " keyring" : " keyrings"));
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Shows one keyring (GET /api/keyrings/{id}).")
  static final class Show extends AdminCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Override
    void run(AdminConnection c) {
      JsonNode k = c.get("/api/keyrings/" + which.segment());
      fields(
          out(),
          "Label",
          text(k.path("keyRingLabel")),
          "Keyring ID",
          text(k.path("keyRingUUID")),
          "Cluster ID",
          text(k.path("clusterUUID")),
          "Status",
          status(k),
          "Locked",
          yesNo(k.path("locked")),
          "Failed Logins",
          text(k.path("failedLogins")),
          "Password Change Required",
          yesNo(k.path("passwordChangeRequired")),
          "KRCO Initialized",
          yesNo(k.path("krcoInitialized")),
          "Objects",
          text(k.path("objects")),
          "Created",
          text(k.path("createdAt")));
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description =
          "Deletes a keyring and every object on it (DELETE /api/keyrings/{id}), with the"
              + " partition CO's credential.")
  static final class Delete extends AdminCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Mixin CommonOptions.CoPassword coPassword;

    @Override
    void run(AdminConnection c) {
      String segment = which.segment();
      c.send(
          "DELETE", "/api/keyrings/" + segment, Map.of("authentication", coPassword.credential()));
      out().println("keyring " + segment + " deleted");
    }
  }

  @Command(
      name = "unlock",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description =
          "Unlocks a keyring locked by failed logins (PATCH /api/keyrings/{id}), with the"
              + " partition CO's credential.")
  static final class Unlock extends AdminCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Mixin CommonOptions.CoPassword coPassword;

    @Override
    void run(AdminConnection c) {
      String segment = which.segment();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("authentication", coPassword.credential());
      body.put("action", "unlock");
      JsonNode k = c.send("PATCH", "/api/keyrings/" + segment, body);
      out()
          .println(
              "keyring "
                  + k.path("keyRingLabel").asText()
                  + " unlocked ("
                  + k.path("failedLogins").asText()
                  + " failed logins)");
    }
  }
}
