package dev.keyring.client.config;

import dev.keyring.client.config.Node.Entry;
import dev.keyring.client.config.Node.Section;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings this client takes from its configuration file: the clusters it is registered with
 * (section {@code LunaSA Client}), its HA groups (section {@code VirtualToken}) and its HA settings
 * (section {@code HAConfiguration}). Everything else in the file is carried along untouched.
 *
 * <p>Instances are immutable and validated when built: {@link #of(ConfigFile)} checks every cluster
 * and HA group and reports the first problem as a {@link ConfigFileException} naming the file, the
 * line and the missing or bad key. The {@code with...} methods return a new instance whose {@link
 * #file()} differs from this one's only in the keys they write.
 *
 * <pre>{@code
 * ClientConfig cfg = ClientConfig.read(Path.of("/etc/Chrystoki.conf"));
 * ClusterEntry added = new ClusterEntry(cfg.nextFreeIndex(), "10.0.0.5", 50052,
 *     cert, key, ca, "lnh.example.com");
 * cfg.withCluster(added).write(Path.of("/etc/Chrystoki.conf"));
 * }</pre>
 */
public final class ClientConfig {
  /** The section that lists the clusters. */
  public static final String CLIENT_SECTION = "LunaSA Client";

  /** The section that lists the HA groups. */
  public static final String VIRTUAL_TOKEN_SECTION = "VirtualToken";

  /** The section with client-wide HA settings. */
  public static final String HA_SECTION = "HAConfiguration";

  static final String FULL_MESSAGE =
      "all 10 cluster positions (00-09) are in use; remove one from the LunaSA Client section"
          + " first";

  private static final Pattern CLUSTER_KEY =
      Pattern.compile("LNHServer(ClientCert|ClientKey|CAFile|CN)?(\\d+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern GROUP_KEY =
      Pattern.compile("VirtualToken(\\d+)(Label|SN|Members)", Pattern.CASE_INSENSITIVE);
  private static final Pattern TWO_DIGITS = Pattern.compile("\\d\\d");

  private static final String HA_ONLY = "HAOnly";
  private static final String HA_LOG_STATUS = "haLogStatus";
  private static final String RECONNECT_ATTEMPTS = "reconnAtt";
  private static final String RECONNECT_INTERVAL = "AutoReconnectInterval";

  /** The five keys of a cluster, in the order they are written. */
  private enum ClusterKey {
    SERVER("LNHServer"),
    CLIENT_CERT("LNHServerClientCert"),
    CLIENT_KEY("LNHServerClientKey"),
    CA_FILE("LNHServerCAFile"),
    CN("LNHServerCN");

    final String prefix;

    ClusterKey(String prefix) {
      this.prefix = prefix;
    }

    String key(int index) {
      return prefix + String.format("%02d", index);
    }

    static ClusterKey ofSuffix(String middle) {
      if (middle == null) {
        return SERVER;
      }
      switch (middle.toLowerCase(Locale.ROOT)) {
        case "clientcert":
          return CLIENT_CERT;
        case "clientkey":
          return CLIENT_KEY;
        case "cafile":
          return CA_FILE;
        default:
          return CN;
      }
    }
  }

  /** The three keys of an HA group. */
  private enum GroupKey {
    LABEL("Label"),
    SERIAL("SN"),
    MEMBERS("Members");

    final String suffix;

    GroupKey(String suffix) {
      this.suffix = suffix;
    }

    String key(int index) {
      return "VirtualToken" + String.format("%02d", index) + suffix;
    }

    static GroupKey of(String suffix) {
      for (GroupKey k : values()) {
        if (k.suffix.equalsIgnoreCase(suffix)) {
          return k;
        }
      }
      throw new AssertionError(suffix);
    }
  }

  private final ConfigFile file;
  private final List<ClusterEntry> clusters;
  private final List<HaGroupEntry> haGroups;
  private final HaSettings haSettings;

  private ClientConfig(ConfigFile file) {
    this.file = file;
    this.clusters = readClusters(file);
    this.haGroups = readGroups(file);
    this.haSettings = readHaSettings(file);
  }

  /**
   * Interprets a parsed file.
   *
   * @throws ConfigFileException if a cluster or HA group is incomplete or a value is out of range
   */
  public static ClientConfig of(ConfigFile file) {
    return new ClientConfig(Objects.requireNonNull(file, "file"));
  }

  /**
   * Reads, parses and interprets a file.
   *
   * @throws IOException if it cannot be read
   * @throws ConfigFileException if it is malformed or a setting in it is incomplete or invalid
   */
  public static ClientConfig read(Path path) throws IOException {
    return of(ConfigFile.read(path));
  }

  /** The underlying document, including every section and comment this class does not read. */
  public ConfigFile file() {
    return file;
  }

  /** Writes {@link #file()} atomically; see {@link ConfigFile#write(Path)}. */
  public void write(Path path) throws IOException {
    file.write(path);
  }

  // ---- clusters ----

  /** The registered clusters, ordered by index. */
  public List<ClusterEntry> clusters() {
    return clusters;
  }

  /** The cluster at {@code index} (0–9), if one is registered there. */
  public Optional<ClusterEntry> cluster(int index) {
    return clusters.stream().filter(c -> c.index() == index).findFirst();
  }

  /**
   * The lowest free cluster position, so that positions are filled 00, 01, 02, ... and a position
   * freed by {@link #withoutCluster} is used again.
   *
   * @throws IllegalStateException if all ten positions are in use
   */
  public int nextFreeIndex() {
    for (int i = 0; i < ClusterEntry.MAX_CLUSTERS; i++) {
      if (cluster(i).isEmpty()) {
        return i;
      }
    }
    throw new IllegalStateException(FULL_MESSAGE);
  }

  /**
   * Returns a configuration with {@code cluster} registered at its index. Its five keys are added
   * at the end of the {@code LunaSA Client} section (created at the end of the file if absent).
   *
   * @throws IllegalArgumentException if that position is already in use: replacing a cluster in
   *     place while applications use it is unsafe, so remove it first
   */
  public ClientConfig withCluster(ClusterEntry cluster) {
    Objects.requireNonNull(cluster, "cluster");
    cluster(cluster.index())
        .ifPresent(
            old -> {
              throw new IllegalArgumentException(
                  "cluster position "
                      + old.indexSuffix()
                      + " is already in use by "
                      + old.server()
                      + "; remove it first (withoutCluster("
                      + old.index()
                      + ")) or use nextFreeIndex()");
            });
    int i = cluster.index();
    ConfigFile f =
        file.set(CLIENT_SECTION, ClusterKey.SERVER.key(i), cluster.server())
            .set(CLIENT_SECTION, ClusterKey.CLIENT_CERT.key(i), cluster.clientCert().toString())
            .set(CLIENT_SECTION, ClusterKey.CLIENT_KEY.key(i), cluster.clientKey().toString())
            .set(CLIENT_SECTION, ClusterKey.CA_FILE.key(i), cluster.caFile().toString())
            .set(CLIENT_SECTION, ClusterKey.CN.key(i), cluster.serverCn());
    return of(f);
  }

  /**
   * Returns a configuration without the cluster at {@code index}: its five lines are removed and
   * nothing else changes. Returns this configuration if the position is free.
   *
   * @throws IllegalArgumentException if {@code index} is not 0–9
   */
  public ClientConfig withoutCluster(int index) {
    if (index < 0 || index >= ClusterEntry.MAX_CLUSTERS) {
      throw new IllegalArgumentException("cluster index must be 0-9 (00-09), got " + index);
    }
    ConfigFile f = file;
    for (ClusterKey k : ClusterKey.values()) {
      f = f.remove(CLIENT_SECTION, k.key(index));
    }
    return f == file ? this : of(f);
  }

  // ---- HA groups ----

  /** The HA groups, ordered by index. */
  public List<HaGroupEntry> haGroups() {
    return haGroups;
  }

  /** The HA group with this label (compared without regard to case), if there is one. */
  public Optional<HaGroupEntry> haGroup(String label) {
    Objects.requireNonNull(label, "label");
    return haGroups.stream().filter(g -> g.label().equalsIgnoreCase(label)).findFirst();
  }

  /**
   * Returns a configuration in which the HA group at {@code group.index()} is {@code group}: an
   * existing group's values are replaced in place, a new one is added at the end of the {@code
   * VirtualToken} section.
   *
   * @throws IllegalArgumentException if another index already uses the label
   */
  public ClientConfig withHaGroup(HaGroupEntry group) {
    Objects.requireNonNull(group, "group");
    haGroup(group.label())
        .filter(g -> g.index() != group.index())
        .ifPresent(
            g -> {
              throw new IllegalArgumentException(
                  "HA group label '"
                      + group.label()
                      + "' is already used by VirtualToken"
                      + g.indexSuffix()
                      + "; labels must be unique");
            });
    int i = group.index();
    ConfigFile f =
        file.set(VIRTUAL_TOKEN_SECTION, GroupKey.LABEL.key(i), group.label())
            .set(VIRTUAL_TOKEN_SECTION, GroupKey.SERIAL.key(i), group.serialNumber())
            .set(
                VIRTUAL_TOKEN_SECTION,
                GroupKey.MEMBERS.key(i),
                String.join(",", group.memberSerials()));
    return of(f);
  }

  /** Returns a configuration without the HA group at {@code index}, or this one if none is. */
  public ClientConfig withoutHaGroup(int index) {
    ConfigFile f = file;
    for (GroupKey k : GroupKey.values()) {
      f = f.remove(VIRTUAL_TOKEN_SECTION, k.key(index));
    }
    return f == file ? this : of(f);
  }

  // ---- HA settings ----

  /** The HA settings; {@link HaSettings#NONE} when the file has none. */
  public HaSettings haSettings() {
    return haSettings;
  }

  /**
   * Returns a configuration with these HA settings. Only keys whose meaning changes are written, so
   * a setting that is already in effect keeps its spelling; an empty optional removes its key.
   */
  public ClientConfig withHaSettings(HaSettings settings) {
    Objects.requireNonNull(settings, "settings");
    ConfigFile f = file;
    if (settings.haOnly() != haSettings.haOnly()) {
      f = f.set(HA_SECTION, HA_ONLY, settings.haOnly() ? "1" : "0");
    }
    if (settings.logEnabled() != haSettings.logEnabled()) {
      f = f.set(HA_SECTION, HA_LOG_STATUS, settings.logEnabled() ? "enabled" : "disabled");
    }
    if (!settings.reconnectAttempts().equals(haSettings.reconnectAttempts())) {
      f =
          settings.reconnectAttempts().isPresent()
              ? f.set(
                  HA_SECTION,
                  RECONNECT_ATTEMPTS,
                  Integer.toString(settings.reconnectAttempts().getAsInt()))
              : f.remove(HA_SECTION, RECONNECT_ATTEMPTS);
    }
    if (!settings.autoReconnectInterval().equals(haSettings.autoReconnectInterval())) {
      f =
          settings.autoReconnectInterval().isPresent()
              ? f.set(
                  HA_SECTION,
                  RECONNECT_INTERVAL,
                  Long.toString(settings.autoReconnectInterval().get().getSeconds()))
              : f.remove(HA_SECTION, RECONNECT_INTERVAL);
    }
    return f == file ? this : of(f);
  }

  /** A summary: source, clusters and HA group labels. */
  @Override
  public String toString() {
    List<String> cs = new ArrayList<>();
    for (ClusterEntry c : clusters) {
      cs.add(c.indexSuffix() + "=" + c.server());
    }
    List<String> gs = new ArrayList<>();
    for (HaGroupEntry g : haGroups) {
      gs.add(g.indexSuffix() + "=" + g.label());
    }
    return "ClientConfig[" + file.source() + ", clusters=" + cs + ", haGroups=" + gs + "]";
  }

  // ---- reading ----

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

  private static List<ClusterEntry> readClusters(ConfigFile file) {
    Map<Integer, Map<ClusterKey, Entry>> byIndex = new TreeMap<>();
    for (Entry e : entriesOf(file, CLIENT_SECTION)) {
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
                + CLIENT_SECTION
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

  private static List<HaGroupEntry> readGroups(ConfigFile file) {
    Map<Integer, Map<GroupKey, Entry>> byIndex = new TreeMap<>();
    for (Entry e : entriesOf(file, VIRTUAL_TOKEN_SECTION)) {
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
        if (!keys.containsKey(k)) {
          throw new ConfigFileException(
              file.source(),
              first.line(),
              0,
              "HA group "
                  + String.format("%02d", index)
                  + " in section '"
                  + VIRTUAL_TOKEN_SECTION
                  + "' is incomplete: "
                  + k.key(index)
                  + " is missing (each group needs its Label, SN and Members)");
        }
      }
      Entry memberEntry = keys.get(GroupKey.MEMBERS);
      List<String> members = new ArrayList<>();
      if (!memberEntry.value().isBlank()) {
        for (String m : memberEntry.value().split(",", -1)) {
          if (m.isBlank()) {
            throw new ConfigFileException(
                file.source(),
                memberEntry.line(),
                0,
                "'"
                    + memberEntry.key()
                    + "' has an empty place between commas; expected serial numbers separated"
                    + " by ','");
          }
          members.add(m.strip());
        }
      }
      HaGroupEntry group;
      try {
        group =
            new HaGroupEntry(
                index,
                keys.get(GroupKey.LABEL).value(),
                keys.get(GroupKey.SERIAL).value(),
                members);
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

  private static HaSettings readHaSettings(ConfigFile file) {
    boolean haOnly = false;
    boolean log = false;
    OptionalInt attempts = OptionalInt.empty();
    Optional<Duration> interval = Optional.empty();
    for (Entry e : entriesOf(file, HA_SECTION)) {
      String key = e.key();
      if (key.equalsIgnoreCase(HA_ONLY)) {
        haOnly = flag(file, e, "1", "0");
      } else if (key.equalsIgnoreCase(HA_LOG_STATUS)) {
        log = flag(file, e, "enabled", "disabled");
      } else if (key.equalsIgnoreCase(RECONNECT_ATTEMPTS)) {
        int n = integer(file, e, "-1 (no limit) or a count ≥ 0");
        if (n < -1) {
          throw bad(file, e, "-1 (no limit) or a count ≥ 0");
        }
        attempts = OptionalInt.of(n);
      } else if (key.equalsIgnoreCase(RECONNECT_INTERVAL)) {
        int seconds = integer(file, e, "a number of seconds ≥ 1");
        if (seconds < 1) {
          throw bad(file, e, "a number of seconds ≥ 1");
        }
        interval = Optional.of(Duration.ofSeconds(seconds));
      }
    }
    return new HaSettings(haOnly, log, attempts, interval);
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
            + HA_SECTION
            + "' must be "
            + rule
            + ", got '"
            + e.value()
            + "'");
  }
}
