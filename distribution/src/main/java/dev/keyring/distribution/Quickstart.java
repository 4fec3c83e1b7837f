package dev.keyring.distribution;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ConfigFile;
import dev.keyring.client.registration.LoopbackRegistration;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandLines;
import dev.keyring.protocol.cli.FingerprintTrust;
import dev.keyring.sim.embedded.EmbeddedCluster;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.sim.hsm.Passwords;
import dev.keyring.sim.keyring.KeyringService;
import dev.keyring.sim.server.Member;
import dev.keyring.store.KeyringRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * A one-member cluster in a directory, from nothing to a keyring an application can use: the HSM,
 * its partition, the cluster, a keyring through its first login (KRSO password changed, KRCO
 * initialized), a registered client and its {@code Chrystoki.conf} with a {@code Keyring Provider}
 * section. Every step is skipped when its result is already there, so a second start on the same
 * directory reuses everything and only starts the member.
 *
 * <pre>
 * DIR/secrets.properties      the passwords (owner-only), written once
 * DIR/quickstart.properties   the keyring's label and the member's ports, kept for later starts
 * DIR/cluster/member0/        the member's data (H2 store, HSM device key)
 * DIR/client/Chrystoki.conf   the client configuration; certificates and key under DIR/client/certs
 * </pre>
 *
 * <p>{@code keyring-sim quickstart} runs it; the JUnit extension of {@code keyring-junit} starts
 * its one-member clusters with it.
 */
public final class Quickstart implements AutoCloseable {
  static final String STATE_FILE = "quickstart.properties";
  static final String CLIENT_NAME = "quickstart-client";
  static final String DEFAULT_KEYRING = "app";
  static final int DEFAULT_ADMIN_PORT = 50070;
  static final int DEFAULT_CRYPTO_PORT = 50052;

  /** What the command line asked for; null fields take the directory's or the default value. */
  public record Settings(
      Path dir,
      String keyring,
      String password,
      Integer adminPort,
      Integer cryptoPort,
      Integer kdfIterations) {}

  private final EmbeddedCluster cluster;
  private final Path dir;
  private final String keyring;
  private final QuickstartSecrets secrets;
  private final boolean secretsGenerated;
  private final Path clientConfig;
  private final boolean reauthorized;

  private Quickstart(
      EmbeddedCluster cluster,
      Path dir,
      String keyring,
      QuickstartSecrets secrets,
      boolean secretsGenerated,
      Path clientConfig,
      boolean reauthorized) {
    this.reauthorized = reauthorized;
    this.cluster = cluster;
    this.dir = dir;
    this.keyring = keyring;
    this.secrets = secrets;
    this.secretsGenerated = secretsGenerated;
    this.clientConfig = clientConfig;
  }

  /** Sets up what is missing in {@code s.dir()} and starts the member. */
  public static Quickstart start(Settings s) throws Exception {
    Path dir = s.dir().toAbsolutePath().normalize();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new CliException(CommandLines.BAD_INPUT, "--data " + dir + " is not a directory");
    }
    Files.createDirectories(dir);
    Properties state = readState(dir);
    String keyring = pick(state, "keyring", s.keyring(), DEFAULT_KEYRING, "--keyring");
    if (!keyring.matches(KeyringService.LABEL_RULE)) {
      throw new CliException(
          CommandLines.BAD_INPUT,
          "--keyring must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or"
              + " digit; got '"
              + keyring
              + "'");
    }
    int adminPort = port(state, "adminPort", s.adminPort(), DEFAULT_ADMIN_PORT, "--admin-port");
    int cryptoPort =
        port(state, "cryptoPort", s.cryptoPort(), DEFAULT_CRYPTO_PORT, "--crypto-port");
    if (s.password() != null) {
      Passwords.requireValidNew(s.password(), "--password: keyring");
    }
    int kdf = s.kdfIterations() == null ? PasswordHasher.DEFAULT_ITERATIONS : s.kdfIterations();
    if (kdf < PasswordHasher.MIN_ITERATIONS || kdf > 10_000_000) {
      throw new CliException(
          CommandLines.BAD_INPUT,
          "--kdf-iterations must be " + PasswordHasher.MIN_ITERATIONS + " to 10000000, got " + kdf);
    }
    QuickstartSecrets secrets = QuickstartSecrets.read(dir);
    boolean generated = secrets == null;
    if (generated) {
      secrets = QuickstartSecrets.generate(s.password());
      secrets.write(dir); // before anything is set up with them
    } else if (s.password() != null && !s.password().equals(secrets.keyring())) {
      throw new CliException(
          CommandLines.BAD_INPUT,
          "--password differs from the keyring password this directory was set up with (see "
              + dir.resolve(QuickstartSecrets.FILE)
              + "); leave --password out to reuse it");
    }
    EmbeddedCluster cluster = startCluster(dir, secrets, adminPort, cryptoPort, kdf);
    try {
      Member member = cluster.member(0);
      // a member whose process ended without a clean stop comes back not authorized (it is the
      // only member of its cluster): the quickstart authorizes it again with the CO it keeps
      boolean reauthorized = !member.authorized();
      if (reauthorized) {
        member.authorize(secrets.partitionCo());
      }
      state.setProperty("keyring", keyring);
      state.setProperty("adminPort", Integer.toString(member.adminPort()));
      state.setProperty("cryptoPort", Integer.toString(member.cryptoPort()));
      writeState(dir, state);
      Path conf = dir.resolve("client").resolve("Chrystoki.conf");
      if (!Files.exists(conf)) {
        register(cluster, secrets, conf);
      }
      ConfigFile.read(conf).set("Keyring Provider", "DefaultSlot", keyring).write(conf);
      prepareKeyring(cluster, secrets, keyring, conf);
      return new Quickstart(cluster, dir, keyring, secrets, generated, conf, reauthorized);
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  private static EmbeddedCluster startCluster(
      Path dir, QuickstartSecrets secrets, int adminPort, int cryptoPort, int kdfIterations)
      throws Exception {
    try {
      return EmbeddedCluster.builder()
          .dataDir(dir.resolve("cluster"))
          .clusterLabel("quickstart")
          .soPassword(secrets.hsmSo())
          .poPassword(secrets.partitionPo())
          .coPassword(secrets.partitionCo())
          .adminPassword(secrets.admin())
          .kdfIterations(kdfIterations)
          .adminPort(adminPort)
          .cryptoPort(cryptoPort)
          .start();
    } catch (IOException e) {
      throw new CliException(
          CommandLines.BAD_INPUT,
          "the member cannot listen on admin port "
              + adminPort
              + " and crypto port "
              + cryptoPort
              + " ("
              + e.getMessage()
              + "); is another member running? Choose others with --admin-port and"
              + " --crypto-port (0 = any free port) on the first start");
    }
  }

  /** Registers the client as {@code keyring-register} does, pinned to the member's certificate. */
  private static void register(EmbeddedCluster cluster, QuickstartSecrets secrets, Path conf)
      throws Exception {
    Member member = cluster.member(0);
    try {
      LoopbackRegistration.register(
          CLIENT_NAME,
          member.adminPort(),
          FingerprintTrust.fingerprint(member.adminCertificate()),
          cluster.clusterId().toString(),
          secrets.admin(),
          conf);
    } catch (IllegalStateException e) {
      throw new CliException(CommandLines.REFUSED, e.getMessage());
    }
  }

  /**
   * Creates the keyring when it is missing and finishes its first login where it stopped: the KRSO
   * changes the initial password, then initializes the KRCO with the same password.
   */
  private static void prepareKeyring(
      EmbeddedCluster cluster, QuickstartSecrets secrets, String label, Path conf)
      throws Exception {
    var keyrings = cluster.member(0).appliance().keyrings();
    Optional<KeyringRecord> found =
        keyrings.keyrings().stream().filter(k -> k.label().equals(label)).findFirst();
    KeyringRecord record =
        found.isPresent()
            ? found.get()
            : keyrings
                .createKeyrings(
                    secrets.partitionCo(), label, secrets.keyringInitial(), 1, null, null)
                .get(0);
    if (!record.passwordChangeRequired() && record.krcoInitialized()) {
      return;
    }
    if (record.passwordChangeRequired()) {
      firstLogin(conf, label, secrets.keyringInitial(), secrets.keyring());
    } else {
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession(label)) {
        s.login(Role.KRSO, secrets.keyring());
        s.initKrco(secrets.keyring());
        s.logout();
      }
    }
  }

  /**
   * The first login of a new keyring, through the client configuration {@code conf}: the KRSO
   * replaces the initial password with {@code password}, then initializes the KRCO with it.
   */
  public static void firstLogin(Path conf, String label, String initial, String password)
      throws Exception {
    try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
        KeyringChannel s = client.openSession(label)) {
      s.login(Role.KRSO, initial);
      s.changePassword(initial, password);
      s.initKrco(password);
      s.logout();
    }
  }

  private static Properties readState(Path dir) {
    Properties p = new Properties();
    Path f = dir.resolve(STATE_FILE);
    if (Files.exists(f)) {
      try (InputStream in = Files.newInputStream(f)) {
        p.load(in);
      } catch (IOException e) {
        throw new CliException(CommandLines.BAD_INPUT, "cannot read " + f + ": " + e.getMessage());
      }
    }
    return p;
  }

  private static void writeState(Path dir, Properties p) throws IOException {
    try (OutputStream out = Files.newOutputStream(dir.resolve(STATE_FILE))) {
      p.store(out, "keyring-sim quickstart: the keyring and the member's ports");
    }
  }

  /** The directory's value, else the option, else the default; an option may not contradict. */
  private static String pick(
      Properties state, String key, String option, String dflt, String name) {
    String kept = state.getProperty(key);
    if (kept != null && option != null && !kept.equals(option)) {
      throw new CliException(
          CommandLines.BAD_INPUT,
          name
              + " "
              + option
              + " differs from '"
              + kept
              + "', which this directory was set up with; leave "
              + name
              + " out, or use another --data directory");
    }
    return kept != null ? kept : option != null ? option : dflt;
  }

  /**
   * The directory's port, else the option, else the default. A port kept from an earlier start wins
   * over option 0 (any port: the client configuration names the one the member got); another port
   * than the kept one is refused.
   */
  private static int port(Properties state, String key, Integer option, int dflt, String name) {
    if (option != null && (option < 0 || option > 65535)) {
      throw new CliException(CommandLines.BAD_INPUT, name + " must be 0 to 65535, got " + option);
    }
    String kept = state.getProperty(key);
    Integer asked = option == null || (option == 0 && kept != null) ? null : option;
    String v = pick(state, key, asked == null ? null : asked.toString(), null, name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new CliException(
          CommandLines.BAD_INPUT, STATE_FILE + ": " + key + " must be a port, got '" + v + "'");
    }
  }

  /**
   * Whether the member had lost its authorization (its process ended without a clean stop) and this
   * start authorized it again with the partition CO's password.
   */
  public boolean reauthorized() {
    return reauthorized;
  }

  public EmbeddedCluster cluster() {
    return cluster;
  }

  public Path dir() {
    return dir;
  }

  public String keyring() {
    return keyring;
  }

  QuickstartSecrets secrets() {
    return secrets;
  }

  /** The password of the appliance user {@code admin} (admin API). */
  public String adminPassword() {
    return secrets.admin();
  }

  /** The keyring's KRSO/KRCO password. */
  public String keyringPassword() {
    return secrets.keyring();
  }

  /** Whether this start generated the secrets (the first start on the directory). */
  boolean secretsGenerated() {
    return secretsGenerated;
  }

  public Path clientConfig() {
    return clientConfig;
  }

  /** Stops the member; the directory stays as it is. */
  @Override
  public void close() {
    cluster.close();
  }
}
