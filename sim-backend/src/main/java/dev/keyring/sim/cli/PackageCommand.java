package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Table;
import picocli.CommandLine.Command;

/**
 * {@code package list|upgrade}: the appliance's software (LunaSH's {@code package list}; the
 * firmware {@code upgrade} action installs the package file uploaded with {@code POST
 * /api/lunasa/packageFiles}).
 */
@Command(
    name = "package",
    mixinStandardHelpOptions = true,
    description =
        "The appliance's software: the installed cluster_service package, and installing an"
            + " uploaded package file.",
    subcommands = {PackageCommand.ListPackages.class, PackageCommand.Upgrade.class})
final class PackageCommand extends CommandGroup {

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "Lists the installed packages (GET /api/lunasa/packages): cluster_service-###-#####.x86_64,"
              + " and the one an upgrade installed until the cluster service restarts.")
  static final class ListPackages extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      Table t = new Table("Package", "Version", "Status");
      for (JsonNode p : list(c.get("/api/lunasa/packages"))) {
        t.row(text(p.path("packageName")), text(p.path("version")), text(p.path("status")));
      }
      t.print(out());
    }
  }

  @Command(
      name = "upgrade",
      mixinStandardHelpOptions = true,
      description = {
        "Installs the uploaded package file (POST"
            + " /api/lunasa/hsms/{hsmid}/firmware/actions/upgrade), as admin.",
        "It runs from the next start of the cluster service; until then the member's"
            + " restartService flag is set (R in 'cluster member list')."
      })
  static final class Upgrade extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      JsonNode r =
          c.send("POST", "/api/lunasa/hsms/" + hsmId(c) + "/firmware/actions/upgrade", null);
      fields(
          out(),
          "Installed",
          text(r.path("installed")),
          "Pending",
          text(r.path("pending")),
          "Restart Required",
          yesNo(r.path("restartService")));
    }
  }
}
