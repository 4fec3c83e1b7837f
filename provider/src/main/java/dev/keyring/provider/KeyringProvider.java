package dev.keyring.provider;

import dev.keyring.provider.api.KeyringPrivateKey;
import dev.keyring.provider.api.KeyringSecretKey;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.provider.internal.ChannelOpener;
import dev.keyring.provider.internal.KeyringAesCipherSpi;
import dev.keyring.provider.internal.KeyringEcdsaSignatureSpi;
import dev.keyring.provider.internal.KeyringKeyAgreementSpi;
import dev.keyring.provider.internal.KeyringKeyFactorySpi;
import dev.keyring.provider.internal.KeyringKeyGeneratorSpi;
import dev.keyring.provider.internal.KeyringKeyPairGeneratorSpi;
import dev.keyring.provider.internal.KeyringKeyStoreSpi;
import dev.keyring.provider.internal.KeyringMacSpi;
import dev.keyring.provider.internal.KeyringRawRsaSignatureSpi;
import dev.keyring.provider.internal.KeyringRsaCipherSpi;
import dev.keyring.provider.internal.KeyringSecureRandomSpi;
import dev.keyring.provider.internal.KeyringSignatureSpi;
import dev.keyring.provider.internal.ProviderContext;
import dev.keyring.provider.internal.ProviderSettings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.InvalidParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The Keyring JCA provider: keys stay on keyrings of an HSM cluster and are used through the
 * standard API. Configure it with the client configuration file that {@code keyring-register}
 * wrote:
 *
 * <pre>{@code
 * Security.addProvider(new KeyringProvider(Path.of("/etc/keyring/Chrystoki.conf")));
 * // or: Security.getProvider("Keyring").configure("/etc/keyring/Chrystoki.conf")
 * // or in java.security: security.provider.N=Keyring /etc/keyring/Chrystoki.conf
 * KeyStore ks = KeyStore.getInstance("Keyring");
 * ks.load(new ByteArrayInputStream("slot=app100".getBytes()), krcoPassword);
 * }</pre>
 *
 * <p>Every Signature, Cipher, Mac and KeyAgreement service takes keyring keys only ({@code
 * SupportedKeyClasses}), so delayed provider selection never hands it a software key, wherever the
 * provider stands in the list.
 */
public final class KeyringProvider extends Provider {
  private static final long serialVersionUID = 1L;

  /** The provider's name. */
  public static final String NAME = "Keyring";

  private static final String VERSION = "0.1";
  private static final String PRIVATE_KEYS = KeyringPrivateKey.class.getName();
  private static final String SECRET_KEYS = KeyringSecretKey.class.getName();

  private final transient ProviderContext context;

  /** Why a {@code java.security} line's configuration file could not be used, or null. */
  private final String configurationError;

  /**
   * An unconfigured provider, as the JDK makes it from a {@code java.security} line: {@link
   * #configure(String)} returns the configured one. Its services refuse to work until then.
   */
  public KeyringProvider() {
    super(NAME, VERSION, "Keyring HSM cluster provider (not configured)");
    this.context = null;
    this.configurationError = null;
    registerServices();
  }

  /**
   * An unconfigured provider standing for a {@code java.security} line whose file could not be
   * used: its services fail with {@code error}.
   */
  private KeyringProvider(InvalidParameterException error) {
    super(NAME, VERSION, "Keyring HSM cluster provider (not configured: its file is not usable)");
    this.context = null;
    this.configurationError = error.getMessage();
    registerServices();
  }

  /** A provider configured with the client configuration file at {@code config}. */
  public KeyringProvider(Path config) {
    this(settings(config));
  }

  private KeyringProvider(ProviderSettings settings) {
    this(new ProviderContext(settings));
  }

  /**
   * A provider whose keyring channels come from {@code channels} instead of the clusters the
   * configuration file registers (an in-memory cluster in this module's tests).
   */
  KeyringProvider(ProviderSettings settings, ChannelOpener channels) {
    this(new ProviderContext(settings, channels));
  }

  private KeyringProvider(ProviderContext context) {
    super(NAME, VERSION, "Keyring HSM cluster provider (" + context.settings().file() + ")");
    this.context = context;
    this.configurationError = null;
    registerServices();
  }

  /**
   * A provider for servers that put their providers first in the list (Kafka's {@code
   * security.providers}): KeyStore and the engines that take keyring keys, but no KeyPairGenerator,
   * KeyGenerator, SecureRandom or KeyFactory, which would otherwise answer the JDK's own requests
   * (JSSE's ephemeral keys, {@code new SecureRandom()}, PEM key parsing). The same as {@code
   * Generators = no} in the configuration file.
   */
  public static KeyringProvider withoutGenerators(Path config) {
    return new KeyringProvider(settings(config).withoutGenerators());
  }

  /** A provider configured with the file at path {@code config} (for {@code -providerArg}). */
  public KeyringProvider(String config) {
    this(path(config));
  }

  private static Path path(String config) {
    try {
      return config == null ? null : Path.of(config.trim());
    } catch (InvalidPathException e) {
      throw new InvalidParameterException(
          "the Keyring provider's configuration file '"
              + config
              + "' is not a path: "
              + e.getReason());
    }
  }

  private static ProviderSettings settings(Path config) {
    try {
      return ProviderSettings.read(config);
    } catch (IllegalArgumentException e) {
      throw new InvalidParameterException(e.getMessage());
    }
  }

  /**
   * Returns a new provider configured with the client configuration file at path {@code configArg}.
   *
   * <p>The JDK, configuring a provider from a {@code java.security} line, drops one whose {@code
   * configure} throws and says why only under {@code -Djava.security.debug=jca}; the application
   * would then read only "Keyring not found". So when the JDK's provider list is the caller, a file
   * that cannot be used gives an unconfigured provider instead, whose services fail with what is
   * wrong with the file (the cause of that "Keyring not found").
   *
   * @throws InvalidParameterException if the file is missing or invalid, or if this provider is
   *     already configured
   */
  @Override
  public Provider configure(String configArg) {
    if (context != null) {
      throw new InvalidParameterException(
          "this Keyring provider is already configured; configure the unconfigured one");
    }
    if (configArg == null || configArg.isBlank()) {
      throw new InvalidParameterException(
          "the Keyring provider takes the path of its client configuration file");
    }
    try {
      return new KeyringProvider(configArg);
    } catch (InvalidParameterException e) {
      if (calledByTheJdksProviderList()) {
        return new KeyringProvider(e);
      }
      throw e;
    }
  }

  private static boolean calledByTheJdksProviderList() {
    return askingFrame()
        .map(f -> f.getClassName().startsWith("sun.security.jca.ProviderConfig"))
        .orElse(false);
  }

  /** The frame that called the method calling this one's caller (who asked that method). */
  private static java.util.Optional<StackWalker.StackFrame> askingFrame() {
    return StackWalker.getInstance().walk(frames -> frames.skip(3).findFirst());
  }

  @Override
  public boolean isConfigured() {
    return context != null;
  }

  /** The configuration file's path, or null when not configured. */
  public String getArgument() {
    return context == null ? null : context.settings().file().toString();
  }

  /** How many operations of each kind this provider had the cluster carry out. */
  public Map<ProviderOperation, Long> operationCounts() {
    Map<ProviderOperation, Long> out = new EnumMap<>(ProviderOperation.class);
    if (context != null) {
      for (ProviderOperation k : ProviderOperation.values()) {
        out.put(k, context.counters().get(k));
      }
    }
    return out;
  }

  /** The number of operations of {@code kind} this provider had the cluster carry out. */
  public long operationCount(ProviderOperation kind) {
    return context == null ? 0 : context.counters().get(kind);
  }

  /**
   * Logs out of keyring or HA group {@code slot} (label, UUID or serial number, as it was loaded)
   * and closes its session; a KeyStore loaded on it must be loaded again before use. This is how an
   * application leaves a member slot of an HA group before it uses the group's slot, which is
   * refused with {@code CKR_ACCESS_ID_ALREADY_EXISTS} while the member slot is open (and the
   * reverse). Returns whether a session was open.
   */
  public boolean logout(String slot) {
    return context != null && context.logout(slot);
  }

  /**
   * Logs out of every keyring and closes the connections; the provider is unusable after. A
   * configured provider that is never closed does this when the JVM exits.
   */
  public void close() {
    if (context != null) {
      context.close();
    }
  }

  /**
   * As {@link Provider#getService}, except that the provider names no default {@code SecureRandom}:
   * when the JDK looks for the default random generator ({@code new SecureRandom()}) and this
   * provider stands first in the list, the lookup passes on to the next provider. The HSM's
   * generator gives bytes only to a logged-in keyring and costs a round trip, so as the JVM's
   * default it broke the provider's own first connection (its TLS set-up asks for default random
   * bytes before any login) and sent every JVM-wide random request to the cluster. {@code
   * SecureRandom.getInstance("HSM")} still finds it.
   */
  @Override
  public Service getService(String type, String algorithm) {
    if ("SecureRandom".equals(type) && askedForTheDefaultRandom()) {
      return null;
    }
    return super.getService(type, algorithm);
  }

  private static boolean askedForTheDefaultRandom() {
    return askingFrame()
        .map(
            f ->
                f.getClassName().equals("java.security.Provider")
                    && f.getMethodName().equals("getDefaultSecureRandomService"))
        .orElse(false);
  }

  // ---- the service table

  private void registerServices() {
    // KeyStore
    add("KeyStore", "Keyring", KeyringKeyStoreSpi::new, List.of(), null);

    boolean generators = context == null || context.settings().generators();
    if (generators) {
      registerGenerators();
    }

    // signatures
    sig("SHA256withRSA", KeyringSignatureSpi.Sha256WithRsa::new, List.of());
    sig("SHA384withRSA", KeyringSignatureSpi.Sha384WithRsa::new, List.of());
    sig("SHA512withRSA", KeyringSignatureSpi.Sha512WithRsa::new, List.of());
    sig("RSASSA-PSS", KeyringSignatureSpi.RsaPss::new, List.of("PSS"));
    sig(
        "SHA256withRSASSA-PSS",
        KeyringSignatureSpi.Sha256WithRsaPss::new,
        List.of("SHA256withRSAandMGF1"));
    sig(
        "SHA384withRSASSA-PSS",
        KeyringSignatureSpi.Sha384WithRsaPss::new,
        List.of("SHA384withRSAandMGF1"));
    sig(
        "SHA512withRSASSA-PSS",
        KeyringSignatureSpi.Sha512WithRsaPss::new,
        List.of("SHA512withRSAandMGF1"));
    sig("SHA256withECDSA", KeyringSignatureSpi.Sha256WithEcdsa::new, List.of());
    sig("SHA384withECDSA", KeyringSignatureSpi.Sha384WithEcdsa::new, List.of());
    sig("SHA512withECDSA", KeyringSignatureSpi.Sha512WithEcdsa::new, List.of());
    sig("NONEwithECDSA", KeyringSignatureSpi.NoneWithEcdsa::new, List.of());
    sig("Ed25519", KeyringSignatureSpi.Ed25519::new, List.of());
    // raw RSA PKCS#1 v1.5 (CKM_RSA_PKCS): a DigestInfo built here or by the caller
    sig("NONEwithRSA", KeyringRawRsaSignatureSpi.NoneWithRsa::new, List.of());
    sig("SHA224withRSA", KeyringRawRsaSignatureSpi.Sha224WithRsa::new, List.of());
    sig("SHA1withRSA", KeyringRawRsaSignatureSpi.Sha1WithRsa::new, List.of());
    // ECDSA with the other hashes, and in P1363 format (r || s)
    sig("SHA224withECDSA", KeyringEcdsaSignatureSpi.Sha224WithEcdsa::new, List.of());
    sig("SHA1withECDSA", KeyringEcdsaSignatureSpi.Sha1WithEcdsa::new, List.of());
    sig("NONEwithECDSAinP1363Format", KeyringEcdsaSignatureSpi.NoneWithEcdsaP1363::new, List.of());
    sig("SHA1withECDSAinP1363Format", KeyringEcdsaSignatureSpi.Sha1WithEcdsaP1363::new, List.of());
    sig(
        "SHA224withECDSAinP1363Format",
        KeyringEcdsaSignatureSpi.Sha224WithEcdsaP1363::new,
        List.of());
    sig(
        "SHA256withECDSAinP1363Format",
        KeyringEcdsaSignatureSpi.Sha256WithEcdsaP1363::new,
        List.of());
    sig(
        "SHA384withECDSAinP1363Format",
        KeyringEcdsaSignatureSpi.Sha384WithEcdsaP1363::new,
        List.of());
    sig(
        "SHA512withECDSAinP1363Format",
        KeyringEcdsaSignatureSpi.Sha512WithEcdsaP1363::new,
        List.of());

    // ciphers
    add("Cipher", "AES/GCM/NoPadding", KeyringAesCipherSpi.Gcm::new, List.of(), SECRET_KEYS);
    add("Cipher", "AES/CBC/PKCS5Padding", KeyringAesCipherSpi.Cbc::new, List.of(), SECRET_KEYS);
    add(
        "Cipher",
        "AES/KWP/NoPadding",
        KeyringAesCipherSpi.Kwp::new,
        List.of("AESWrapPad"),
        SECRET_KEYS);
    add("Cipher", "AES/KW/NoPadding", KeyringAesCipherSpi.Kw::new, List.of("AESWrap"), SECRET_KEYS);
    add(
        "Cipher",
        "RSA/ECB/OAEPWithSHA-256AndMGF1Padding",
        KeyringRsaCipherSpi.OaepSha256::new,
        List.of(),
        PRIVATE_KEYS);
    add(
        "Cipher",
        "RSA/ECB/OAEPWithSHA-384AndMGF1Padding",
        KeyringRsaCipherSpi.OaepSha384::new,
        List.of(),
        PRIVATE_KEYS);
    add(
        "Cipher",
        "RSA/ECB/OAEPWithSHA-512AndMGF1Padding",
        KeyringRsaCipherSpi.OaepSha512::new,
        List.of(),
        PRIVATE_KEYS);
    add("Cipher", "RSA/ECB/PKCS1Padding", KeyringRsaCipherSpi.Pkcs1::new, List.of(), PRIVATE_KEYS);

    // MACs and key agreement
    add("Mac", "HmacSHA256", KeyringMacSpi.HmacSha256::new, List.of(), SECRET_KEYS);
    add("Mac", "HmacSHA384", KeyringMacSpi.HmacSha384::new, List.of(), SECRET_KEYS);
    add("Mac", "HmacSHA512", KeyringMacSpi.HmacSha512::new, List.of(), SECRET_KEYS);
    add("KeyAgreement", "ECDH", KeyringKeyAgreementSpi::new, List.of(), PRIVATE_KEYS);
  }

  /**
   * The services that take no keyring key, which the JDK picks by position alone: first in the list
   * they would answer its own requests (JSSE's ephemeral keys and ticket keys, {@code new
   * SecureRandom()}, PEM key parsing through {@code KeyFactory}).
   */
  private void registerGenerators() {
    add("KeyPairGenerator", "RSA", KeyringKeyPairGeneratorSpi.Rsa::new, List.of(), null);
    add("KeyPairGenerator", "EC", KeyringKeyPairGeneratorSpi.Ec::new, List.of(), null);
    add("KeyPairGenerator", "Ed25519", KeyringKeyPairGeneratorSpi.Ed25519::new, List.of(), null);
    add("KeyGenerator", "AES", KeyringKeyGeneratorSpi.Aes::new, List.of(), null);
    add("KeyGenerator", "HmacSHA256", KeyringKeyGeneratorSpi.HmacSha256::new, List.of(), null);
    add("KeyGenerator", "HmacSHA384", KeyringKeyGeneratorSpi.HmacSha384::new, List.of(), null);
    add("KeyGenerator", "HmacSHA512", KeyringKeyGeneratorSpi.HmacSha512::new, List.of(), null);
    add("SecureRandom", "HSM", KeyringSecureRandomSpi::new, List.of("KeyringHSM"), null);
    add("KeyFactory", "RSA", KeyringKeyFactorySpi.Rsa::new, List.of(), null);
    add("KeyFactory", "EC", KeyringKeyFactorySpi.Ec::new, List.of(), null);
    add("KeyFactory", "Ed25519", KeyringKeyFactorySpi.Ed25519::new, List.of(), null);
  }

  private void sig(
      String algorithm, Function<ProviderContext, Object> factory, List<String> aliases) {
    add("Signature", algorithm, factory, aliases, PRIVATE_KEYS);
  }

  private void add(
      String type,
      String algorithm,
      Function<ProviderContext, Object> factory,
      List<String> aliases,
      String keyClasses) {
    Map<String, String> attrs =
        keyClasses == null
            ? type.equals("SecureRandom") ? Map.of("ThreadSafe", "true") : Map.of()
            : Map.of("SupportedKeyClasses", keyClasses);
    putService(new KeyringService(this, type, algorithm, aliases, attrs, factory));
  }

  /** A service whose instances come from a factory, never from reflection or parameters. */
  private static final class KeyringService extends Service {
    private final Function<ProviderContext, Object> factory;
    private final String keyClass;

    KeyringService(
        KeyringProvider p,
        String type,
        String algorithm,
        List<String> aliases,
        Map<String, String> attrs,
        Function<ProviderContext, Object> factory) {
      super(p, type, algorithm, factory.getClass().getName(), aliases, attrs);
      this.factory = factory;
      this.keyClass = attrs.get("SupportedKeyClasses");
    }

    @Override
    public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
      if (constructorParameter != null) {
        throw new InvalidParameterException(
            "the Keyring " + getType() + " " + getAlgorithm() + " takes no constructor parameter");
      }
      ProviderContext ctx = ((KeyringProvider) getProvider()).context;
      String error = ((KeyringProvider) getProvider()).configurationError;
      if (ctx == null && error != null) {
        throw new NoSuchAlgorithmException(
            "the Keyring provider of the java.security line is not configured: " + error);
      }
      if (ctx == null) {
        throw new NoSuchAlgorithmException(
            "the Keyring provider is not configured: use new KeyringProvider(path), "
                + "Provider.configure(path), or a java.security line "
                + "'security.provider.N=Keyring <path of Chrystoki.conf>'");
      }
      return factory.apply(ctx);
    }

    /** Keyring keys only: the handle classes named by {@code SupportedKeyClasses}. */
    @Override
    public boolean supportsParameter(Object parameter) {
      if (keyClass == null) {
        return true;
      }
      if (parameter == null) {
        return false;
      }
      return keyClass.equals(PRIVATE_KEYS)
          ? parameter instanceof KeyringPrivateKey
          : parameter instanceof KeyringSecretKey;
    }
  }
}
