package dev.keyring.provider.internal;

import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What the provider reads from the client configuration file that registration wrote: the
 * registered clusters ({@code LunaSA Client}) and its own optional section, {@value #SECTION}:
 *
 * <pre>
 * Keyring Provider = {
 *    DefaultSlot = app100;     # keyring label or UUID for KeyStore.load(null, password)
 *    DefaultCluster = 00;      # index of the cluster that holds it (00-09)
 *    Generators = yes;         # no: no KeyPairGenerator, KeyGenerator, SecureRandom, KeyFactory
 * }
 * </pre>
 *
 * <p>Its keys are compared without regard to case, as every name in the file; any other key is
 * refused, and so is a section whose name begins with {@code Keyring} or ends with {@code Provider}
 * but is not this one (its settings would otherwise be ignored without a word).
 */
public final class ProviderSettings {
  /** The provider's section of the client configuration file. */
  public static final String SECTION = "Keyring Provider";

  private static final List<String> KEYS = List.of("DefaultSlot", "DefaultCluster", "Generators");

  private final Path file;
  private final ClientConfig config;
  private final Optional<String> defaultSlot;
  private final int defaultCluster;
  private final boolean generators;

  private ProviderSettings(
      Path file, ClientConfig config, String slot, int cluster, boolean generators) {
    this.generators = generators;
    this.file = file;
    this.config = config;
    this.defaultSlot = Optional.ofNullable(slot);
    this.defaultCluster = cluster;
  }

  /**
   * Reads and checks the file.
   *
   * @throws IllegalArgumentException naming the file, the bad value and the rule
   */
  public static ProviderSettings read(Path file) {
    if (file == null) {
      throw new IllegalArgumentException(
          "the Keyring provider needs the path of its client"
              + " configuration file (Chrystoki.conf, written by keyring-register)");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "the Keyring provider's configuration file "
              + file.toAbsolutePath()
              + " does not exist or is not a file; register a client first (keyring-register"
              + " --config "
              + file
              + ")");
    }
    ClientConfig config;
    try {
      config = ClientConfig.read(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the Keyring provider's configuration file " + file + ": " + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "the Keyring provider's configuration file " + file + " is invalid: " + e.getMessage(),
          e);
    }
    if (config.clusters().isEmpty()) {
      throw new IllegalArgumentException(
          "the configuration file "
              + file
              + " registers no cluster (no LNHServer00..09 in section '"
              + ClientConfig.CLIENT_SECTION
              + "'); run keyring-register first");
    }
    for (String name : config.file().sections()) {
      String squeezed = name.replaceAll("[\\s_-]", "").toLowerCase(Locale.ROOT);
      boolean alike = squeezed.startsWith("keyring") || squeezed.endsWith("provider");
      if (alike && !name.equalsIgnoreCase(SECTION)) {
        throw new IllegalArgumentException(
            "section '"
                + name
                + "' of "
                + file
                + " is not one the Keyring provider reads: its own section is spelt '"
                + SECTION
                + "'");
      }
    }
    // keys are compared without regard to case, as everywhere in the file
    Map<String, String> own = new HashMap<>();
    for (Map.Entry<String, String> e : config.file().entries(SECTION).entrySet()) {
      String key =
          KEYS.stream()
              .filter(k -> k.equalsIgnoreCase(e.getKey()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "unknown key '"
                              + e.getKey()
                              + "' in section '"
                              + SECTION
                              + "' of "
                              + file
                              + "; known keys: "
                              + String.join(", ", KEYS)));
      own.put(key, e.getValue());
    }
    String slot = own.get("DefaultSlot");
    if (slot != null && slot.isBlank()) {
      throw new IllegalArgumentException(
          "DefaultSlot in section '" + SECTION + "' of " + file + " must not be empty");
    }
    int cluster = config.clusters().get(0).index();
    String c = own.get("DefaultCluster");
    if (c != null) {
      cluster = parseClusterIndex(c, "DefaultCluster in section '" + SECTION + "' of " + file);
    }
    requireCluster(config, cluster, file.toString());
    boolean generators = true;
    String g = own.get("Generators");
    if (g != null) {
      switch (g.trim().toLowerCase(Locale.ROOT)) {
        case "yes":
        case "true":
        case "1":
          break;
        case "no":
        case "false":
        case "0":
          generators = false;
          break;
        default:
          throw new IllegalArgumentException(
              "Generators in section '"
                  + SECTION
                  + "' of "
                  + file
                  + " must be yes or no, got '"
                  + g.trim()
                  + "'");
      }
    }
    return new ProviderSettings(file, config, slot, cluster, generators);
  }

  /** Parses a cluster index, {@code 0}-{@code 9} or {@code 00}-{@code 09}. */
  public static int parseClusterIndex(String value, String what) {
    String v = value.trim();
    if (!v.matches("0?[0-9]")) {
      throw new IllegalArgumentException(what + " must be a cluster index 00-09, got '" + v + "'");
    }
    return Integer.parseInt(v);
  }

  static ClusterEntry requireCluster(ClientConfig config, int index, String source) {
    return config
        .cluster(index)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no cluster is registered at index "
                        + String.format("%02d", index)
                        + " in "
                        + source
                        + "; registered: "
                        + config.clusters().stream()
                            .map(ClusterEntry::indexSuffix)
                            .collect(Collectors.joining(", "))));
  }

  public Path file() {
    return file;
  }

  public ClientConfig config() {
    return config;
  }

  /** The keyring {@code KeyStore.load(null, password)} opens, if the file names one. */
  public Optional<String> defaultSlot() {
    return defaultSlot;
  }

  public int defaultCluster() {
    return defaultCluster;
  }

  /**
   * Whether the provider offers KeyPairGenerator, KeyGenerator, SecureRandom and KeyFactory. A
   * provider placed first in the list (Kafka's {@code security.providers} does that) would
   * otherwise answer the JDK's own requests for them: JSSE's ephemeral ECDHE keys and
   * session-ticket keys, and every {@code new SecureRandom()}.
   */
  public boolean generators() {
    return generators;
  }

  /** These settings with the generators switched off. */
  public ProviderSettings withoutGenerators() {
    return new ProviderSettings(file, config, defaultSlot.orElse(null), defaultCluster, false);
  }
}
