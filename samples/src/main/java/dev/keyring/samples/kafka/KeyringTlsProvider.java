package dev.keyring.samples.kafka;

import dev.keyring.provider.KeyringPrivateKey;
import dev.keyring.provider.KeyringProvider;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.HashMap;
import java.util.Map;

/**
 * The part of a {@link KeyringProvider} a TLS stack needs, under the same name: the {@code Keyring}
 * KeyStore and the services that take keyring private keys (signatures, RSA decryption of a
 * premaster secret, ECDH). Each service hands out the underlying provider's engines.
 *
 * <p>Kafka puts security providers first in the JVM's list, and the JDK chooses generators, random
 * generators and key factories by position alone. With the whole provider first, JSSE's
 * session-ticket key ({@code KeyGenerator AES}) was generated on the keyring for every SSL context
 * and the tickets were encrypted there, and ephemeral keys for the NIST curves would be too. None
 * of those services is offered here, so they stay with the JDK.
 */
public final class KeyringTlsProvider extends Provider {
  private static final long serialVersionUID = 1L;
  private static final String PRIVATE_KEYS = KeyringPrivateKey.class.getName();

  private final transient KeyringProvider keyring;

  /** The TLS services of {@code keyring}. */
  public KeyringTlsProvider(KeyringProvider keyring) {
    super(
        KeyringProvider.NAME,
        keyring.getVersionStr(),
        "Keyring key stores and private-key operations for TLS (" + keyring.getArgument() + ")");
    this.keyring = keyring;
    for (Service s : keyring.getServices()) {
      if (s.getType().equals("KeyStore")
          || PRIVATE_KEYS.equals(s.getAttribute("SupportedKeyClasses"))) {
        putService(new Delegating(this, s));
      }
    }
  }

  /** The underlying provider: its operation counts, and {@link KeyringProvider#close()}. */
  public KeyringProvider keyring() {
    return keyring;
  }

  /** A service of this provider whose engines and key checks are those of the underlying one. */
  private static final class Delegating extends Service {
    private final Service target;

    Delegating(Provider owner, Service target) {
      super(
          owner,
          target.getType(),
          target.getAlgorithm(),
          target.getClassName(),
          null,
          attributes(target));
      this.target = target;
    }

    private static Map<String, String> attributes(Service s) {
      Map<String, String> m = new HashMap<>();
      String classes = s.getAttribute("SupportedKeyClasses");
      if (classes != null) {
        m.put("SupportedKeyClasses", classes);
      }
      return m;
    }

    @Override
    public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
      return target.newInstance(constructorParameter);
    }

    @Override
    public boolean supportsParameter(Object parameter) {
      return target.supportsParameter(parameter);
    }
  }
}
