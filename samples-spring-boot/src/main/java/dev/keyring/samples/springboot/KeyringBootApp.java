package dev.keyring.samples.springboot;

import dev.keyring.provider.KeyringProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot 3 web application whose HTTPS key stays on a keyring. Nothing in it is about TLS:
 * Boot's embedded Tomcat reads a {@code Keyring} KeyStore because the configuration says so, either
 * with {@code server.ssl.*} (profile {@code keystore}, {@code application-keystore.properties}) or
 * with an SSL bundle (profile {@code bundle}, {@code application-bundle.properties}).
 *
 * <p>The provider must be registered before Boot opens the KeyStore. Two ways work:
 *
 * <ul>
 *   <li>a flat class path ({@code java -cp app.jar:lib/*}): a {@code java.security} line {@code
 *       security.provider.13=Keyring /etc/keyring/Chrystoki.conf}, no code;
 *   <li>the {@code java -jar} fat jar: the system class loader, which loads the providers of {@code
 *       java.security} lines, cannot see the jars inside {@code BOOT-INF/lib}, so such a line finds
 *       no class and the KeyStore type {@code Keyring} is unknown. {@link #main} therefore
 *       registers the provider itself when {@code -Dkeyring.config=<Chrystoki.conf>} (or {@code
 *       KEYRING_CONFIG}) names the client configuration, before {@link SpringApplication#run}.
 * </ul>
 */
@SpringBootApplication
@RestController
public class KeyringBootApp {
  /** System property naming the client configuration file (Chrystoki.conf). */
  public static final String CONFIG_PROPERTY = "keyring.config";

  /** Environment variable naming it when the system property is absent. */
  public static final String CONFIG_VARIABLE = "KEYRING_CONFIG";

  /** The page every request to {@code /} gets. */
  public static final String PAGE =
      "Hello over HTTPS from Spring Boot; the TLS key stays on its keyring.\n";

  public static void main(String[] args) {
    registerKeyringProvider();
    SpringApplication.run(KeyringBootApp.class, args);
  }

  /**
   * Registers a Keyring provider configured with the file that {@code keyring.config} (or {@code
   * KEYRING_CONFIG}) names, unless a configured one is already registered (from a {@code
   * java.security} line on a flat class path). Without either it does nothing, and the KeyStore
   * then fails in Boot with the JDK's "Keyring not found".
   *
   * @throws IllegalArgumentException naming the file when it does not exist
   */
  static void registerKeyringProvider() {
    Provider registered = Security.getProvider(KeyringProvider.NAME);
    if (registered != null && registered.isConfigured()) {
      return;
    }
    String config = System.getProperty(CONFIG_PROPERTY);
    if (config == null || config.isBlank()) {
      config = System.getenv(CONFIG_VARIABLE);
    }
    if (config == null || config.isBlank()) {
      return;
    }
    Path file = Path.of(config.trim());
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          CONFIG_PROPERTY
              + " names "
              + file
              + ", which is not a file: give the Chrystoki.conf"
              + " that keyring-register wrote");
    }
    if (registered != null) {
      Security.removeProvider(KeyringProvider.NAME);
    }
    Security.addProvider(new KeyringProvider(file));
  }

  @GetMapping("/")
  public String page() {
    return PAGE;
  }
}
