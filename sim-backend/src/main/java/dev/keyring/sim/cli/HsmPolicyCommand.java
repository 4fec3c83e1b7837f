package dev.keyring.sim.cli;

import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.Secrets;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hsm policy}: sets an HSM policy as the HSM SO. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Sets an HSM policy (PUT /api/lunasa/hsms/{id}/policies/{policyid}), as the HSM SO.",
      "HA groups need 7 (allow cloning) and 16 (allow network replication) set to 1, and the"
          + " same 12 (allow non-FIPS algorithms) on every member's HSM."
    })
final class HsmPolicyCommand extends AdminCommand {
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

  @Option(
      names = {"-password", "--password"},
      paramLabel = "SO_PASSWORD",
      description = "The HSM SO's password (asked for on the console when absent).")
  String password;

  @Override
  void run(AdminConnection c) {
    if (policy < 0 || policy > 99) {
      throw new CliException(2, "-policy must be 0 to 99, got " + policy);
    }
    if (value != 0 && value != 1) {
      throw new CliException(2, "-value must be 0 or 1, got " + value);
    }
    String so = Secrets.of(password, "-password", "the HSM SO's password");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("authentication", credential("SO", so, null));
    body.put("value", value);
    c.send("PUT", "/api/lunasa/hsms/" + hsmId(c) + "/policies/" + policy, body);
    out().println("HSM policy " + policy + " set to " + value);
  }
}
