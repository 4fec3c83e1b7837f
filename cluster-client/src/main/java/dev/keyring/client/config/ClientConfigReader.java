package dev.keyring.client.config;

import dev.keyring.client.config.ConfigKeys.ClusterKey;
import dev.keyring.client.config.ConfigKeys.GroupKey;
import dev.keyring.client.config.Node.Entry;
import dev.keyring.client.config.Node.Section;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@link ConfigFile}'s clusters, HA groups and HA settings for {@link ClientConfig},
 * checking each and reporting the first problem as a {@link ConfigFileException} that names the
 * file, the line and the missing or bad key.
 */
final class ClientConfigReader {
  private static final Pattern CLUSTER_KEY =
      Pattern.compile("LNHServer(ClientCert|ClientKey|CAFile|CN)?(\\d+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern GROUP_KEY =
      Pattern.compile("VirtualToken(\\d+)(Label|SN|Members|Standby)", Pattern.CASE_INSENSITIVE);
  private static final Pattern TWO_DIGITS = Pattern.compile("\\d\\d");

  private ClientConfigReader() {}

  private static List<Entry> entriesOf(ConfigFile file, String section) {
    List<Entry> out = new ArrayList<>();
    file.section(section)
        .map(Section::body)
        .ifPresent(
            body -> {
              for (Node n : body) {
                if (n instanceof Entry e) {
                  out.add(e);
                }
              }
            });
    return out;
  }

  private static int twoDigitIndex(
      ConfigFile file, Entry e, String digits, int limit, String what) {
    if (!TWO_DIGITS.matcher(digits).matches() || Integer.parseInt(digits) >= limit) {
      throw new ConfigFileException(
          file.source(),
          e.line(),
          0,
          "'"
              + e.key()
              + "' has "
              + what
              + " index '"
              + digits
              + "': indexes are two digits, 00-"
              + String.format("%02d", limit - 1));
    }
    return Integer.parseInt(digits);
  }

  static List<ClusterEntry> clusters(ConfigFile file) {
    Map<Integer, Map<ClusterKey, Entry>> byIndex = new TreeMap<>();
    for (Entry e : entriesOf(file, ClientConfig.CLIENT_SECTION)) {
      Matcher m = CLUSTER_KEY.matcher(e.key());
      if (!m.matches()) {
        continue;
      }
      int index = twoDigitIndex(file, e, m.group(2), ClusterEntry.MAX_CLUSTERS, "cluster");
      byIndex
          .computeIfAbsent(index, k -> new EnumMap<>(ClusterKey.class))
          .put(ClusterKey.ofSuffix(m.group(1)), e);
    }
    List<ClusterEntry> out = new ArrayList<>();
    for (Map.Entry<Integer, Map<ClusterKey, Entry>> cluster : byIndex.entrySet()) {
      out.add(cluster(file, cluster.getKey(), cluster.getValue()));
    }
    return Collections.unmodifiableList(out);
  }

  private static ClusterEntry cluster(ConfigFile file, int index, Map<ClusterKey, Entry> keys) {
    Entry first = keys.values().stream().min((a, b) -> a.line() - b.line()).orElseThrow();
    for (ClusterKey k : ClusterKey.values()) {
      Entry e = keys.get(k);
      if (e == null || e.value().isEmpty()) {
        List<String> all = new ArrayList<>();
        for (ClusterKey each : ClusterKey.values()) {
          all.add(each.key(index));
        }
        throw new ConfigFileException(
            file.source(),
            (e == null ? first : e).line(),
            0,
            "cluster "
                + String.format("%02d", index)
                + " in section '"
                + ClientConfig.CLIENT_SECTION
                + "' is incomplete: "
                + k.key(index)
                + (e == null ? " is missing" : " is empty")
                + " (each cluster needs "
                + String.join(", ", all)
                + ")");
      }
    }
    Entry server = keys.get(ClusterKey.SERVER);
    String[] hostPort = hostAndPort(file, server);
    try {
      return new ClusterEntry(
          index,
          hostPort[0],
          Integer.parseInt(hostPort[1]),
          Path.of(keys.get(ClusterKey.CLIENT_CERT).value()),
          Path.of(keys.get(ClusterKey.CLIENT_KEY).value()),
          Path.of(keys.get(ClusterKey.CA_FILE).value()),
          keys.get(ClusterKey.CN).value());
    } catch (IllegalArgumentException e) { // includes InvalidPathException
      throw new ConfigFileException(
          file.source(),
          server.line(),
          0,
          "cluster " + String.format("%02d", index) + " is not valid: " + e.getMessage());
    }
  }

  /** Splits {@code host[:port]} or {@code [v6][:port]}; a bare IPv6 address has no port. */
  private static String[] hostAndPort(ConfigFile file, Entry server) {
    String v = server.value();
    String host;
    String port = null;
    if (v.startsWith("[")) {
      int close = v.indexOf(']');
      if (close < 0 || (close + 1 < v.length() && v.charAt(close + 1) != ':')) {
        throw badServer(file, server, "expected '[address]' or '[address]:port'");
      }
      host = v.substring(1, close);
      port = close + 1 < v.length() ? v.substring(close + 2) : null;
    } else {
      int colon = v.indexOf(':');
      if (colon >= 0 && colon == v.lastIndexOf(':')) {
        host = v.substring(0, colon);
        port = v.substring(colon + 1);
      } else {
        host = v; // no port, or an IPv6 address without brackets
      }
    }
    if (port == null) {
      port = Integer.toString(ClusterEntry.DEFAULT_PORT);
    } else if (!port.matches("\\d{1,5}")
        || Integer.parseInt(port) < 1
        || Integer.parseInt(port) > 65535) {
      throw badServer(file, server, "the port must be a number 1-65535, got '" + port + "'");
    }
    return new String[] {host, port};
  }

  private static ConfigFileException badServer(ConfigFile file, Entry server, String rule) {
    return new ConfigFileException(
        file.source(),
        server.line(),
        0,
        "'" + server.key() + " = " + server.value() + "' is not host:port: " + rule);
  }

  static List<HaGroupEntry> haGroups(ConfigFile file) {
    Map<Integer, Map<GroupKey, Entry>> byIndex = new TreeMap<>();
    for (Entry e : entriesOf(file, ClientConfig.VIRTUAL_TOKEN_SECTION)) {
      Matcher m = GROUP_KEY.matcher(e.key());
      if (!m.matches()) {
        continue;
      }
      int index = twoDigitIndex(file, e, m.group(1), HaGroupEntry.MAX_GROUPS, "HA group");
      byIndex
          .computeIfAbsent(index, k -> new EnumMap<>(GroupKey.class))
          .put(GroupKey.of(m.group(2)), e);
    }
    List<HaGroupEntry> out = new ArrayList<>();
    Map<String, HaGroupEntry> byLabel = new HashMap<>();
    for (Map.Entry<Integer, Map<GroupKey, Entry>> g : byIndex.entrySet()) {
      int index = g.getKey();
      Map<GroupKey, Entry> keys = g.getValue();
      Entry first = keys.values().stream().min((a, b) -> a.line() - b.line()).orElseThrow();
      for (GroupKey k : GroupKey.values()) {
        if (k.required && !keys.containsKey(k)) {
          throw new ConfigFileException(
              file.source(),
              first.line(),
              0,
              "HA group "
                  + String.format("%02d", index)
                  + " in section '"
                  + ClientConfig.VIRTUAL_TOKEN_SECTION
                  + "' is incomplete: "
                  + k.key(index)
                  + " is missing (each group needs its Label, SN and Members)");
        }
      }
      List<String> members = serials(file, keys.get(GroupKey.MEMBERS));
      List<String> standby =
          keys.containsKey(GroupKey.STANDBY)
              ? serials(file, keys.get(GroupKey.STANDBY))
              : List.of();
      HaGroupEntry group;
      try {
        group =
            new HaGroupEntry(
                index,
                keys.get(GroupKey.LABEL).value(),
                keys.get(GroupKey.SERIAL).value(),
                members,
                standby);
      } catch (IllegalArgumentException e) {
        throw new ConfigFileException(
            file.source(),
            first.line(),
            0,
            "HA group " + String.format("%02d", index) + " is not valid: " + e.getMessage());
      }
      HaGroupEntry clash = byLabel.putIfAbsent(ConfigSyntax.fold(group.label()), group);
      if (clash != null) {
        throw new ConfigFileException(
            file.source(),
            keys.get(GroupKey.LABEL).line(),
            0,
            "HA group label '"
                + group.label()
                + "' is used by both VirtualToken"
                + clash.indexSuffix()
                + " and VirtualToken"
                + group.indexSuffix()
                + "; labels must be unique");
      }
      out.add(group);
    }
    return Collections.unmodifiableList(out);
  }

  /** The comma-separated serial numbers of a {@code Members} or {@code Standby} entry. */
  private static List<String> serials(ConfigFile file, Entry entry) {
    List<String> out = new ArrayList<>();
    if (!entry.value().isBlank()) {
      for (String m : entry.value().split(",", -1)) {
        if (m.isBlank()) {
          throw new ConfigFileException(
              file.source(),
              entry.line(),
              0,
              "'"
                  + entry.key()
                  + "' has an empty place between commas; expected serial numbers separated"
                  + " by ','");
        }
        out.add(m.strip());
      }
    }
    return out;
  }

  static HaSettings haSettings(ConfigFile file) {
    boolean haOnly = false;
    boolean log = false;
    OptionalInt attempts = OptionalInt.empty();
    Optional<Duration> interval = Optional.empty();
    for (Entry e : entriesOf(file, ClientConfig.HA_SECTION)) {
      String key = e.key();
      if (key.equalsIgnoreCase(ConfigKeys.HA_ONLY)) {
        haOnly = flag(file, e, "1", "0");
      } else if (key.equalsIgnoreCase(ConfigKeys.HA_LOG_STATUS)) {
        log = flag(file, e, "enabled", "disabled");
      } else if (key.equalsIgnoreCase(ConfigKeys.RECONNECT_ATTEMPTS)) {
        int n = integer(file, e, "-1 (no limit) or a count ≥ 0");
        if (n < -1) {
          throw bad(file, e, "-1 (no limit) or a count ≥ 0");
        }
        attempts = OptionalInt.of(n);
      } else if (key.equalsIgnoreCase(ConfigKeys.RECONNECT_INTERVAL)) {
        int seconds = integer(file, e, "a number of seconds ≥ 1");
        if (seconds < 1) {
          throw bad(file, e, "a number of seconds ≥ 1");
        }
        interval = Optional.of(Duration.ofSeconds(seconds));
      }
    }
    return new HaSettings(haOnly, log, attempts, interval);
  }

  static HaLogSettings haLogSettings(ConfigFile file) {
    boolean enabled = false;
    Optional<Path> directory = Optional.empty();
    boolean toStdout = false;
    long length = HaLogSettings.DEFAULT_LENGTH;
    for (Entry e : entriesOf(file, ClientConfig.HA_SECTION)) {
      String key = e.key();
      if (key.equalsIgnoreCase(ConfigKeys.HA_LOG_STATUS)) {
        enabled = flag(file, e, "enabled", "disabled");
      } else if (key.equalsIgnoreCase(ConfigKeys.HA_LOG_TO_STDOUT)) {
        toStdout = flag(file, e, "enabled", "disabled");
      } else if (key.equalsIgnoreCase(ConfigKeys.HA_LOG_PATH)) {
        if (e.value().isBlank()) {
          throw bad(file, e, "a directory");
        }
        try {
          directory = Optional.of(Path.of(e.value().strip()));
        } catch (InvalidPathException ipe) {
          throw bad(file, e, "a directory (" + ipe.getReason() + ")");
        }
      } else if (key.equalsIgnoreCase(ConfigKeys.HA_LOG_LENGTH)) {
        String rule =
            "a number of bytes, " + HaLogSettings.MIN_LENGTH + " to " + HaLogSettings.MAX_LENGTH;
        try {
          length = Long.parseLong(e.value().strip());
        } catch (NumberFormatException nfe) {
          throw bad(file, e, rule);
        }
        if (length < HaLogSettings.MIN_LENGTH || length > HaLogSettings.MAX_LENGTH) {
          throw bad(file, e, rule);
        }
      }
    }
    return new HaLogSettings(enabled, directory, toStdout, length);
  }

  private static boolean flag(ConfigFile file, Entry e, String on, String off) {
    switch (e.value().toLowerCase(Locale.ROOT)) {
      case "1":
      case "true":
      case "yes":
      case "on":
      case "enabled":
        return true;
      case "0":
      case "false":
      case "no":
      case "off":
      case "disabled":
        return false;
      default:
        throw bad(file, e, on + " or " + off);
    }
  }

  private static int integer(ConfigFile file, Entry e, String rule) {
    try {
      return Integer.parseInt(e.value().strip());
    } catch (NumberFormatException nfe) {
      throw bad(file, e, rule);
    }
  }

  private static ConfigFileException bad(ConfigFile file, Entry e, String rule) {
    return new ConfigFileException(
        file.source(),
        e.line(),
        0,
        "'"
            + e.key()
            + "' in section '"
            + ClientConfig.HA_SECTION
            + "' must be "
            + rule
            + ", got '"
            + e.value()
            + "'");
  }
}
