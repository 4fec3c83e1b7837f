package dev.keyring.samples.kafka;

import dev.keyring.provider.KeyringProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProviderCreator;

/**
 * Installs the Keyring provider in a Kafka client or broker from configuration alone. Kafka calls
 * {@link #configure(Map)} with the client's or broker's configuration, then inserts {@link
 * #getProvider()} at position 1 of the JVM's provider list before it loads key stores:
 *
 * <pre>
 * security.providers=dev.keyring.samples.kafka.KeyringSecurityProviderCreator
 * keyring.provider.config=/etc/keyring/Chrystoki.conf
 * ssl.keystore.type=Keyring
 * ssl.keystore.location=/etc/keyring/kafka-broker.keyring   # the line slot=&lt;keyring label&gt;
 * ssl.keystore.password=&lt;the keyring's KRCO password&gt;
 * ssl.key.password=&lt;the same password&gt;
 * </pre>
 *
 * <p>The client configuration file comes from {@value #CONFIG} in the Kafka configuration, or, when
 * that is absent, from the system property of the same name ({@code
 * -Dkeyring.provider.config=/etc/keyring/Chrystoki.conf}). A missing or unreadable file fails the
 * configuration with a {@link ConfigException} naming it.
 *
 * <p>The provider installed is {@link KeyringProvider#withoutGenerators(Path)}: the {@code Keyring}
 * KeyStore and the services that take keyring keys, each declaring {@code SupportedKeyClasses}, so
 * at position 1 the software keys JSSE uses for the handshake and the record layer (ephemeral key
 * agreement, HKDF, AES-GCM, a software peer's signatures) still go to the JDK's providers. The
 * provider's generators and random generator are left out: the JDK picks those by position alone,
 * and JSSE would have generated its session-ticket keys on the keyring.
 *
 * <p>Kafka configures a creator for every SSL engine factory it builds (each listener, each client,
 * each reconfiguration) but keeps only the first provider of a name in the list. When a Keyring
 * provider is already installed for the same configuration file this creator hands back that one,
 * so one JVM keeps one provider and one set of cluster connections; a Keyring provider installed
 * for another file is an error, not a silent switch.
 */
public final class KeyringSecurityProviderCreator implements SecurityProviderCreator {
  /** The configuration key (and system property) naming the client configuration file. */
  public static final String CONFIG = "keyring.provider.config";

  private Path config;

  /** Kafka instantiates creators reflectively through this constructor. */
  public KeyringSecurityProviderCreator() {}

  @Override
  public void configure(Map<String, ?> configs) {
    Object value = configs.get(CONFIG);
    String source = CONFIG;
    if (value == null || value.toString().isBlank()) {
      value = System.getProperty(CONFIG);
      source = "system property " + CONFIG;
    }
    if (value == null || value.toString().isBlank()) {
      throw new ConfigException(
          "the Keyring provider needs its client configuration file: set "
              + CONFIG
              + "=<path of Chrystoki.conf> in the Kafka configuration or as a system property");
    }
    Path path = Path.of(value.toString().trim()).toAbsolutePath().normalize();
    if (!Files.isReadable(path)) {
      throw new ConfigException(source, value.toString(), "no readable file at " + path);
    }
    this.config = path;
  }

  /**
   * The Keyring provider without generators for the configured file: the one already installed in
   * the JVM for that file, or a new one.
   *
   * @throws ConfigException if {@link #configure(Map)} was not called, or if a Keyring provider for
   *     another configuration file is installed
   */
  @Override
  public Provider getProvider() {
    if (config == null) {
      throw new ConfigException("configure(" + CONFIG + ") before getProvider()");
    }
    synchronized (KeyringSecurityProviderCreator.class) {
      Provider installed = Security.getProvider(KeyringProvider.NAME);
      if (installed == null) {
        return KeyringProvider.withoutGenerators(config);
      }
      String file =
          installed instanceof KeyringProvider ? ((KeyringProvider) installed).getArgument() : null;
      if (file != null && Path.of(file).toAbsolutePath().normalize().equals(config)) {
        return installed;
      }
      throw new ConfigException(
          "a Keyring provider is already installed in this JVM"
              + (file == null ? " without a configuration file" : " for " + file)
              + "; Kafka keeps the first provider of a name, so "
              + CONFIG
              + "="
              + config
              + " cannot take effect");
    }
  }
}
