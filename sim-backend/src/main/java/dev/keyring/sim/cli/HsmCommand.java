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
import picocli.CommandLine.Option;

/** {@code hsm init|show|policy}: the member's HSM. */
@Command(
    name = "hsm",
    mixinStandardHelpOptions = true,
    description = "The member's HSM: initialize it and its SO, show it, set its policies.",
    subcommands = {HsmCommand.Init.class, HsmCommand.Show.class, HsmPolicyCommand.class})
final class HsmCommand extends CommandGroup {

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Initializes the HSM with a label and the HSM SO's password (PUT /api/lunasa/hsms/{id}).",
        "Without -password the SO password is asked for on the console."
      })
  static final class Init extends AdminCommand {
    @Option(
        names = {"-label", "--label"},
        required = true,
        paramLabel = "LABEL",
        description = "The HSM's label.")
    String label;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "SO_PASSWORD",
        description = "The HSM SO's new password.")
    String password;

    @Override
    void run(AdminConnection c) {
      if (label.isBlank()) {
        throw new CliException(2, "-label must not be blank");
      }
      String so = Secrets.of(password, "-password", "the HSM SO's new password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("label", label);
      body.put("password", so);
      JsonNode hsm = c.send("PUT", "/api/lunasa/hsms/" + hsmId(c), body);
      out().println("HSM " + hsm.path("serialNumber").asText() + " initialized as '" + label + "'");
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Shows the HSM: serial number, label, state, policies (GET /api/lunasa/hsms).")
  static final class Show extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      JsonNode hsm = c.get("/api/lunasa/hsms/" + hsmId(c));
      print(out(), hsm);
    }

    static void print(PrintWriter out, JsonNode hsm) {
      List<String> policies = new ArrayList<>();
      for (JsonNode p : hsm.path("policies")) {
        policies.add(p.path("policyid").asText() + "=" + p.path("value").asText());
      }
      fields(
          out,
          "Serial Number",
          text(hsm.path("serialNumber")),
          "Label",
          text(hsm.path("label")),
          "Initialized",
          yesNo(hsm.path("initialized")),
          "Partitions",
          text(hsm.path("partitions")),
          "Policies",
          policies.isEmpty() ? "-" : String.join(", ", policies));
    }
  }
}
