package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code service start|stop|restart|status|factoryreset cluster}: the member's cluster service. */
@Command(
    name = "service",
    mixinStandardHelpOptions = true,
    description =
        "The member's cluster service: start, stop, restart, status, factoryreset. Stopped, it"
            + " refuses cluster and keyring calls and closes its crypto API.",
    subcommands = {
      ServiceCommand.Start.class,
      ServiceCommand.Stop.class,
      ServiceCommand.Restart.class,
      ServiceCommand.Status.class,
      ServiceCommand.FactoryReset.class
    })
final class ServiceCommand extends CommandGroup {

  /** One action on a service, named as a positional parameter ({@code cluster}). */
  abstract static class Action extends AdminCommand {
    @Parameters(index = "0", paramLabel = "SERVICE", description = "The service: cluster.")
    String service;

    abstract String action();

    /** The request body of the action, or null for none. */
    Object body() {
      return null;
    }

    @Override
    void run(AdminConnection c) {
      if (!"cluster".equals(service)) {
        throw new CliException(2, "unknown service '" + service + "': this member has 'cluster'");
      }
      JsonNode s =
          action() == null
              ? c.get("/api/lunasa/services/cluster")
              : c.send("POST", "/api/lunasa/services/cluster/actions/" + action(), body());
      fields(
          out(),
          "Service",
          "cluster",
          "Status",
          s.path("starting").asBoolean(false) ? "starting" : text(s.path("status")),
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

  @Command(
      name = "factoryreset",
      mixinStandardHelpOptions = true,
      description = {
        "Factory-resets the stopped service (POST"
            + " /api/lunasa/services/cluster/actions/factoryreset; LunaSH: sysconf config"
            + " factoryreset -service cluster), as admin with the HSM SO's password.",
        "The member forgets its cluster, keyrings, SMK and cluster CA; the HSM and its partition"
            + " stay. A member deleted from a cluster does this before it joins again."
      })
  static final class FactoryReset extends Action {
    @Option(
        names = {"-sopassword", "--sopassword"},
        paramLabel = "SO_PASSWORD",
        description = "The HSM SO's password (asked for when absent).")
    String soPassword;

    @Override
    String action() {
      return "factoryreset";
    }

    @Override
    Object body() {
      String so = Secrets.of(soPassword, "-sopassword", "the HSM SO's password");
      return Map.of("authentication", credential("SO", so, null));
    }
  }
}
