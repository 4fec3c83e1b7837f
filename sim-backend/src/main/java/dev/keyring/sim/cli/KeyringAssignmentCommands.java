package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.Table;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keyring assignments|assign|unassign|assignment-mode}: which clients may see which keyrings
 * (GET, POST, DELETE, PATCH /api/clusters/{id}/keyring-assignments). Beyond the administration
 * guide; off by default.
 */
final class KeyringAssignmentCommands {
  private KeyringAssignmentCommands() {}

  static String path(AdminConnection c, String clusterId) {
    return "/api/clusters/" + AdminCommand.clusterId(c, clusterId) + "/keyring-assignments";
  }

  @Command(
      name = "assignments",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Shows whether clients see only the keyrings assigned to them, and the assignments"
            + " (GET /api/clusters/{id}/keyring-assignments)."
      })
  static final class Show extends AdminCommand {
    @Mixin ClusterCommand.ClusterOption cluster;

    @Override
    void run(AdminConnection c) {
      JsonNode a = c.get(path(c, cluster.clusterId));
      out()
          .println(
              "Keyring assignments : "
                  + (a.path("enabled").asBoolean()
                      ? "enabled (clients see only their keyrings)"
                      : "disabled (every client sees every keyring)"));
      Table t = new Table("Client", "Keyring Label", "Keyring ID");
      for (JsonNode client : a.path("clients")) {
        for (JsonNode k : client.path("keyrings")) {
          t.row(
              text(client.path("client")),
              text(k.path("keyRingLabel")),
              text(k.path("keyRingUUID")));
        }
      }
      t.print(out());
      out().println(t.size() + (t.size() == 1 ? " assignment" : " assignments"));
    }
  }

  /** {@code -client NAME} and the keyring. */
  abstract static class Change extends AdminCommand {
    @Option(
        names = {"-client", "--client"},
        required = true,
        paramLabel = "NAME",
        description = "The client's name (the common name it registered with).")
    String client;

    @ArgGroup(exclusive = true, multiplicity = "1")
    KeyringCommand.Which which;

    @Mixin ClusterCommand.ClusterOption cluster;

    Map<String, Object> body() {
      if (client.isEmpty() || client.length() > 64) {
        throw new CliException(2, "-client must be 1 to 64 characters");
      }
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("client", client);
      b.put("keyring", which.segment());
      return b;
    }
  }

  @Command(
      name = "assign",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Assigns a keyring to a registered client (POST /api/clusters/{id}/keyring-assignments):"
            + " while assignments are enabled, the client sees and opens only its keyrings."
      })
  static final class Assign extends Change {
    @Override
    void run(AdminConnection c) {
      Map<String, Object> b = body();
      c.send("POST", path(c, cluster.clusterId), b);
      out().println("keyring " + b.get("keyring") + " assigned to client " + client);
    }
  }

  @Command(
      name = "unassign",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Takes a keyring from a client (DELETE /api/clusters/{id}/keyring-assignments); its"
            + " sessions on that keyring are closed while assignments are enabled."
      })
  static final class Unassign extends Change {
    @Override
    void run(AdminConnection c) {
      Map<String, Object> b = body();
      c.send("DELETE", path(c, cluster.clusterId), b);
      out().println("keyring " + b.get("keyring") + " taken from client " + client);
    }
  }

  /** {@code -enable | -disable}. */
  static final class OnOff {
    @Option(
        names = {"-enable", "--enable"},
        required = true,
        description = "Clients see and open only the keyrings assigned to them.")
    boolean enable;

    @Option(
        names = {"-disable", "--disable"},
        required = true,
        description = "Every registered client sees every keyring (the default).")
    boolean disable;
  }

  @Command(
      name = "assignment-mode",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Turns the assignment of keyrings to clients on or off for the whole cluster"
            + " (PATCH /api/clusters/{id}/keyring-assignments). Off by default; the assignments"
            + " are kept while it is off."
      })
  static final class Mode extends AdminCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    OnOff mode;

    @Mixin ClusterCommand.ClusterOption cluster;

    @Override
    void run(AdminConnection c) {
      JsonNode a = c.send("PATCH", path(c, cluster.clusterId), Map.of("enabled", mode.enable));
      out()
          .println(
              "keyring assignments " + (a.path("enabled").asBoolean() ? "enabled" : "disabled"));
    }
  }
}
