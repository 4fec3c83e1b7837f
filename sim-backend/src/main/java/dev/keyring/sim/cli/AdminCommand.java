package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that calls a member's admin API: the connection options, the output streams, and the
 * look-ups several commands share. Subclasses resolve their passwords before their first call, so a
 * missing one fails (exit code 2) before anything is sent.
 */
abstract class AdminCommand implements Callable<Integer> {
  /** Labels of clusters, partitions, keyrings, members and groups, as the admin API takes them. */
  static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  static final Pattern UUID_TEXT =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  @Spec CommandSpec spec;

  @Mixin AdminOptions admin;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  Map<String, String> env() {
    Object root = spec.root().userObject();
    return root instanceof KeyringSim ? ((KeyringSim) root).env() : System.getenv();
  }

  @Override
  public final Integer call() {
    try (AdminConnection c = admin.connect(env(), err())) {
      run(c);
    }
    out().println("Command Result : 0 (Success)");
    out().flush();
    return 0;
  }

  /** Does the command's work; refusals and failures are thrown. */
  abstract void run(AdminConnection c);

  // ------------------------------------------------------------------ shared look-ups

  /** The serial number of the member's HSM, which the admin API uses as its id. */
  static String hsmId(AdminConnection c) {
    JsonNode data = c.get("/api/lunasa/hsms").path("data");
    if (!data.isArray() || data.isEmpty()) {
      throw new CliException(3, c.base() + " lists no HSM");
    }
    return data.get(0).path("hsmid").asText();
  }

  /** {@code given} when set (checked to be a UUID), else the member's own cluster. */
  static String clusterId(AdminConnection c, String given) {
    if (given != null) {
      return uuid(given, "-clusterid");
    }
    JsonNode data = c.get("/api/clusters").path("data");
    if (!data.isArray() || data.isEmpty()) {
      throw new CliException(
          1, "the member belongs to no cluster yet: create one (cluster create -label ...)");
    }
    return data.get(0).path("clusterUUID").asText();
  }

  static String uuid(String value, String option) {
    if (!UUID_TEXT.matcher(value).matches()) {
      throw new CliException(2, option + " must be a UUID (8-4-4-4-12 hexadecimal digits)");
    }
    return value.toLowerCase(java.util.Locale.ROOT);
  }

  static String label(String value, String option) {
    if (!LABEL.matcher(value).matches()) {
      throw new CliException(
          2,
          option
              + " must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or"
              + " digit");
    }
    return value;
  }

  /** A UUID or a label, for path segments. */
  static String idOrLabel(String value, String option) {
    if (UUID_TEXT.matcher(value).matches()) {
      return value;
    }
    return label(value, option);
  }

  /** {@code [{type, password[, partitionLabel]}]}. */
  static List<Map<String, String>> credential(String type, String password, String partition) {
    Map<String, String> c = new java.util.LinkedHashMap<>();
    c.put("type", type);
    c.put("password", password);
    if (partition != null) {
      c.put("partitionLabel", partition);
    }
    return List.of(c);
  }

  static List<JsonNode> list(JsonNode answer) {
    List<JsonNode> out = new ArrayList<>();
    for (Iterator<JsonNode> it = answer.path("data").elements(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  static String yesNo(JsonNode n) {
    return n.asBoolean() ? "yes" : "no";
  }

  static String text(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? "-" : n.asText();
  }

  /** Prints {@code name : value} lines with the names padded to one width. */
  static void fields(PrintWriter out, String... nameValue) {
    int width = 0;
    for (int i = 0; i < nameValue.length; i += 2) {
      width = Math.max(width, nameValue[i].length());
    }
    for (int i = 0; i < nameValue.length; i += 2) {
      out.printf("%-" + width + "s : %s%n", nameValue[i], nameValue[i + 1]);
    }
  }
}
