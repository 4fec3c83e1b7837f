package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code service start|stop|restart|status cluster}: the member's cluster service. */
@Command(
    name = "service",
    mixinStandardHelpOptions = true,
    description =
        "The member's cluster service: start, stop, restart, status. Stopped, it refuses"
            + " cluster and keyring calls and closes its crypto API.",
    subcommands = {
      ServiceCommand.Start.class,
      ServiceCommand.Stop.class,
      ServiceCommand.Restart.class,
      ServiceCommand.Status.class
    })
final class ServiceCommand extends CommandGroup {

  /** One action on a service, named as a positional parameter ({@code cluster}). */
  abstract static class Action extends AdminCommand {
    @Parameters(index = "0", paramLabel = "SERVICE", description = "The service: cluster.")
    String service;

    abstract String action();

    @Override
    void run(AdminConnection c) {
      if (!"cluster".equals(service)) {
        throw new CliException(2, "unknown service '" + service + "': this member has 'cluster'");
      }
      JsonNode s =
          action() == null
              ? c.get("/api/lunasa/services/cluster")
              : c.send("POST", "/api/lunasa/services/cluster/actions/" + action(), null);
      fields(
          out(),
          "Service",
          "cluster",
          "Status",
          text(s.path("status")),
          "On Boot",
          yesNo(s.path("onBoot")),
          "Crypto API Port",
          text(s.path("cryptoApiPort")),
          "Restart Required",
          yesNo(s.path("restartRequired")));
    }
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = "Starts the service (POST /api/lunasa/services/cluster/actions/start).")
  static final class Start extends Action {
    @Override
    String action() {
      return "start";
    }
  }

  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description = "Stops the service (POST /api/lunasa/services/cluster/actions/stop).")
  static final class Stop extends Action {
    @Override
    String action() {
      return "stop";
    }
  }

  @Command(
      name = "restart",
      mixinStandardHelpOptions = true,
      description = "Restarts the service (POST /api/lunasa/services/cluster/actions/restart).")
  static final class Restart extends Action {
    @Override
    String action() {
      return "restart";
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Shows the service's state (GET /api/lunasa/services/cluster).")
  static final class Status extends Action {
    @Override
    String action() {
      return null;
    }
  }
}
