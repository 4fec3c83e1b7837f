package dev.keyring.client.config;

import java.util.Locale;

/** The keys the client configuration reads and writes, and how a position is spelled in them. */
final class ConfigKeys {
  /** HAConfiguration: only HA group slots are shown. */
  static final String HA_ONLY = "HAOnly";

  /** HAConfiguration: HA logging on or off. */
  static final String HA_LOG_STATUS = "haLogStatus";

  /** HAConfiguration: how many times a failed member is tried again (-1: no limit). */
  static final String RECONNECT_ATTEMPTS = "reconnAtt";

  /** HAConfiguration: seconds between tries to recover a failed member. */
  static final String RECONNECT_INTERVAL = "AutoReconnectInterval";

  /** HAConfiguration: the directory of the HA log file. */
  static final String HA_LOG_PATH = "HALogPath";

  /** HAConfiguration: HA log lines also to standard output. */
  static final String HA_LOG_TO_STDOUT = "haLogToStdout";

  /** HAConfiguration: the largest size of the HA log file, in bytes. */
  static final String HA_LOG_LENGTH = "logLen";

  private ConfigKeys() {}

  /** The five keys of a cluster, in the order they are written. */
  enum ClusterKey {
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

  /** The keys of an HA group: three required, the standby list optional. */
  enum GroupKey {
    LABEL("Label", true),
    SERIAL("SN", true),
    MEMBERS("Members", true),
    STANDBY("Standby", false);

    final String suffix;
    final boolean required;

    GroupKey(String suffix, boolean required) {
      this.suffix = suffix;
      this.required = required;
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
}
