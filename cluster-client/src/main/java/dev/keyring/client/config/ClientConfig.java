package dev.keyring.client.config;

import dev.keyring.client.config.ConfigKeys.ClusterKey;
import dev.keyring.client.config.ConfigKeys.GroupKey;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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

  /** The environment variable that names the configuration file. */
  public static final String CONFIG_ENV = "KEYRING_CONFIG";

  static final String FULL_MESSAGE =
      "all 10 cluster positions (00-09) are in use; remove one from the LunaSA Client section"
          + " first";

  private final ConfigFile file;
  private final List<ClusterEntry> clusters;
  private final List<HaGroupEntry> haGroups;
  private final HaSettings haSettings;
  private final HaLogSettings haLog;

  private ClientConfig(ConfigFile file) {
    this.file = file;
    this.clusters = ClientConfigReader.clusters(file);
    this.haGroups = ClientConfigReader.haGroups(file);
    this.haSettings = ClientConfigReader.haSettings(file);
    this.haLog = ClientConfigReader.haLogSettings(file);
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

  /**
   * Where the configuration file is when no path is given: {@code $KEYRING_CONFIG}, else {@code
   * ~/.keyring/Chrystoki.conf} ({@code $HOME}, else the {@code user.home} property).
   *
   * @param env the environment to read the variables from
   */
  public static Path defaultPath(Map<String, String> env) {
    String fromEnv = env.get(CONFIG_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return Path.of(home, ".keyring", "Chrystoki.conf");
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
    f =
        group.standbySerials().isEmpty()
            ? f.remove(VIRTUAL_TOKEN_SECTION, GroupKey.STANDBY.key(i))
            : f.set(
                VIRTUAL_TOKEN_SECTION,
                GroupKey.STANDBY.key(i),
                String.join(",", group.standbySerials()));
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
      f = f.set(HA_SECTION, ConfigKeys.HA_ONLY, settings.haOnly() ? "1" : "0");
    }
    if (settings.logEnabled() != haSettings.logEnabled()) {
      f =
          f.set(
              HA_SECTION, ConfigKeys.HA_LOG_STATUS, settings.logEnabled() ? "enabled" : "disabled");
    }
    if (!settings.reconnectAttempts().equals(haSettings.reconnectAttempts())) {
      f =
          settings.reconnectAttempts().isPresent()
              ? f.set(
                  HA_SECTION,
                  ConfigKeys.RECONNECT_ATTEMPTS,
                  Integer.toString(settings.reconnectAttempts().getAsInt()))
              : f.remove(HA_SECTION, ConfigKeys.RECONNECT_ATTEMPTS);
    }
    if (!settings.autoReconnectInterval().equals(haSettings.autoReconnectInterval())) {
      f =
          settings.autoReconnectInterval().isPresent()
              ? f.set(
                  HA_SECTION,
                  ConfigKeys.RECONNECT_INTERVAL,
                  Long.toString(settings.autoReconnectInterval().get().getSeconds()))
              : f.remove(HA_SECTION, ConfigKeys.RECONNECT_INTERVAL);
    }
    return f == file ? this : of(f);
  }

  /** The HA logging settings; {@link HaLogSettings#NONE} when the file has none. */
  public HaLogSettings haLog() {
    return haLog;
  }

  /**
   * Returns a configuration with these HA logging settings ({@code haLogStatus}, {@code HALogPath},
   * {@code haLogToStdout}, {@code logLen}); only keys whose meaning changes are written, and an
   * empty directory removes {@code HALogPath}.
   */
  public ClientConfig withHaLog(HaLogSettings log) {
    Objects.requireNonNull(log, "log");
    ConfigFile f = file;
    if (log.enabled() != haLog.enabled()) {
      f = f.set(HA_SECTION, ConfigKeys.HA_LOG_STATUS, log.enabled() ? "enabled" : "disabled");
    }
    if (!log.directory().equals(haLog.directory())) {
      f =
          log.directory().isPresent()
              ? f.set(HA_SECTION, ConfigKeys.HA_LOG_PATH, log.directory().get().toString())
              : f.remove(HA_SECTION, ConfigKeys.HA_LOG_PATH);
    }
    if (log.toStdout() != haLog.toStdout()) {
      f = f.set(HA_SECTION, ConfigKeys.HA_LOG_TO_STDOUT, log.toStdout() ? "enabled" : "disabled");
    }
    if (log.maxLength() != haLog.maxLength()) {
      f = f.set(HA_SECTION, ConfigKeys.HA_LOG_LENGTH, Long.toString(log.maxLength()));
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
}
