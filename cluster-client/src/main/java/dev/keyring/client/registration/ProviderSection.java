package dev.keyring.client.registration;

import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.config.ConfigFile;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The {@value #NAME} section that {@code keyring-register} writes into the client configuration
 * file for the JCA provider:
 *
 * <pre>
 * Keyring Provider = {
 *    DefaultSlot = app;        # with --default-slot app
 *    DefaultCluster = 00;      # the registration's position (--default-slot), else the first
 * }
 * </pre>
 *
 * <p>Every other key of an existing section (such as {@code Generators}) and every other section of
 * the file stay as they are.
 */
final class ProviderSection {
  /** The section of the configuration file the JCA provider reads. */
  static final String NAME = "Keyring Provider";

  private static final int MAX_LABEL_BYTES = 256;

  private ProviderSection() {}

  /**
   * {@code config} with the provider's section: with a {@code defaultSlot}, its {@code DefaultSlot}
   * and {@code DefaultCluster} (the position of {@code registered}); without one, when the file has
   * no such section, a section naming the cluster the provider takes by default (the first
   * registered); otherwise {@code config} unchanged.
   */
  static ClientConfig apply(ClientConfig config, ClusterEntry registered, String defaultSlot) {
    ConfigFile file = config.file();
    if (defaultSlot != null) {
      file =
          file.set(NAME, "DefaultSlot", defaultSlot)
              .set(NAME, "DefaultCluster", registered.indexSuffix());
    } else if (file.sections().stream().noneMatch(NAME::equalsIgnoreCase)) {
      file = file.set(NAME, "DefaultCluster", config.clusters().get(0).indexSuffix());
    } else {
      return config;
    }
    return ClientConfig.of(file);
  }

  /** A keyring label (1 to 256 UTF-8 bytes, no control characters, not padded) or UUID. */
  static boolean isSlotName(String slot) {
    return !slot.isBlank()
        && slot.equals(slot.strip())
        && slot.chars().noneMatch(c -> c < ' ' || c == 0x7f)
        && slot.getBytes(StandardCharsets.UTF_8).length <= MAX_LABEL_BYTES;
  }

  /** Prints the section as written, and what to do when it names no default keyring. */
  static void report(ClientConfig config, PrintWriter out) {
    Map<String, String> entries = config.file().entries(NAME);
    StringBuilder line = new StringBuilder("  " + NAME + ":");
    entries.forEach((k, v) -> line.append(' ').append(k).append(" = ").append(v).append(';'));
    out.println(line);
    if (!entries.containsKey("DefaultSlot")) {
      out.println(
          "  (no DefaultSlot: KeyStore.load(null, password) opens no keyring; run again with"
              + " --default-slot KEYRING, or add DefaultSlot = KEYRING; to the section)");
    }
  }
}
