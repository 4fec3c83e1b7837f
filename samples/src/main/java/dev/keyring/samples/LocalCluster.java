package dev.keyring.samples;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.registration.LoopbackRegistration;
import dev.keyring.protocol.Role;
import dev.keyring.sim.embedded.EmbeddedCluster;
import dev.keyring.sim.server.Member;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A one-member simulated cluster with a registered client, ready for the Keyring provider: {@link
 * #start(Path)} starts an {@link EmbeddedCluster} (its data under {@code dir/cluster}), registers a
 * client through the member's admin API the way {@code keyring-register} does (its configuration at
 * {@link #clientConfig()}), and {@link #createKeyring} makes keyrings whose KRCO can log in.
 *
 * <pre>{@code
 * try (LocalCluster c = LocalCluster.start(dir)) {
 *   c.createKeyring("app", "app-password-1");
 *   Provider p = new KeyringProvider(c.clientConfig());
 *   KeyStore ks = KeyStore.getInstance("Keyring", p);
 *   ks.load(c.slotProperties("app"), "app-password-1".toCharArray());
 * }
 * }</pre>
 */
public final class LocalCluster implements AutoCloseable {
  /** The common name of the registered client. */
  public static final String CLIENT_NAME = "local-client";

  private final EmbeddedCluster cluster;
  private final Path dir;
  private final Path clientConfig;
  private final java.util.List<Runnable> beforeClose =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  private LocalCluster(EmbeddedCluster cluster, Path dir, Path clientConfig) {
    this.cluster = cluster;
    this.dir = dir;
    this.clientConfig = clientConfig;
  }

  /** Starts the cluster in {@code dir/cluster} and registers a client in {@code dir/client}. */
  public static LocalCluster start(Path dir) throws Exception {
    Files.createDirectories(dir);
    EmbeddedCluster cluster = EmbeddedCluster.builder().dataDir(dir.resolve("cluster")).start();
    try {
      Path conf = dir.resolve("client").resolve("Chrystoki.conf");
      if (!Files.exists(conf)) {
        register(cluster, conf);
      }
      return new LocalCluster(cluster, dir, conf);
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  private static void register(EmbeddedCluster cluster, Path conf) throws Exception {
    Member member = cluster.member(0);
    String fingerprint =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(member.adminCertificate().getEncoded()));
    registerClient(
        CLIENT_NAME,
        member.adminPort(),
        fingerprint,
        cluster.clusterId().toString(),
        cluster.adminPassword(),
        conf);
  }

  /**
   * Registers client {@code name} with cluster {@code clusterId} through the admin API on loopback
   * port {@code adminPort} (its certificate pinned by {@code adminFingerprint}), as {@code
   * keyring-register} does, writing the configuration {@code conf}.
   *
   * @throws IllegalStateException with the tool's output if registration fails
   */
  public static void registerClient(
      String name,
      int adminPort,
      String adminFingerprint,
      String clusterId,
      String adminPassword,
      Path conf) {
    LoopbackRegistration.register(
        name, adminPort, adminFingerprint, clusterId, adminPassword, conf);
  }

  /**
   * Creates keyring {@code label} on the cluster (as the cluster CO) and, through the crypto API,
   * takes it through its first login: the KRSO changes the initial password to {@code password} and
   * initializes the KRCO with it.
   */
  public void createKeyring(String label, String password) throws Exception {
    String initial = "initial-" + label + "-1";
    cluster
        .member(0)
        .appliance()
        .keyrings()
        .createKeyrings(cluster.coPassword(), label, initial, 1, null, null);
    try (KeyringClient client = KeyringClient.open(ClientConfig.read(clientConfig), 0);
        KeyringChannel s = client.openSession(label)) {
      s.login(Role.KRSO, initial);
      s.changePassword(initial, password);
      s.initKrco(password);
      s.logout();
    }
  }

  /** The properties a Keyring KeyStore is loaded from for keyring {@code label}. */
  public java.io.InputStream slotProperties(String label) {
    return new java.io.ByteArrayInputStream(
        ("slot=" + label + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Writes {@code slot=<label>} to a file in the client directory and returns its path. */
  public Path writeSlotFile(String label) throws java.io.IOException {
    Path f = dir.resolve("client").resolve(label + ".keyring");
    Files.writeString(f, "slot=" + label + "\n", StandardCharsets.UTF_8);
    return f;
  }

  /** The client configuration file (Chrystoki.conf syntax) registration wrote. */
  public Path clientConfig() {
    return clientConfig;
  }

  public EmbeddedCluster cluster() {
    return cluster;
  }

  /**
   * Runs {@code action} when {@link #close()} begins, while the member still runs (a test reads
   * then what the member still holds, e.g. its open sessions).
   */
  public void beforeClose(Runnable action) {
    beforeClose.add(action);
  }

  @Override
  public void close() {
    try {
      beforeClose.forEach(Runnable::run);
    } finally {
      cluster.close();
    }
  }
}
