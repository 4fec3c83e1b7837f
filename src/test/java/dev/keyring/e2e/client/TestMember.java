package dev.keyring.e2e.client;

import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.testing.TestPki;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.boundary.MemberPki;
import dev.keyring.sim.hsm.Hsm;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.store.ClusterRecord;
import dev.keyring.testing.leak.SessionLeaks;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.UUID;

/**
 * A real cluster member on ephemeral loopback ports, set up the way an operator would: HSM, V1
 * partition, PO, CO, a cluster (so the crypto API runs) and keyrings with an initial password.
 */
public final class TestMember implements AutoCloseable {
  public static final String SO = "so-password-1";
  public static final String PO = "po-password-1";
  public static final String CO_INITIAL = "co-initial-1";
  public static final String CO = "co-password-1";
  public static final String ADMIN_PASSWORD = "admin-password-1";
  public static final String DOMAIN = "test-cloning-domain";

  /** Every keyring made here starts with this password. */
  public static final String KEYRING_INITIAL = "keyring-initial-1";

  private volatile Member member;
  private final ClusterRecord cluster;
  private final Path dir;
  private final int cryptoPort;
  private final SessionLeaks.Watch leaks;

  private TestMember(
      Member member,
      ClusterRecord cluster,
      Path dir,
      int channelPort,
      java.util.function.Consumer<MemberConfig.Builder> settings) {
    this.channelPort = channelPort;
    this.settings = settings;
    this.member = member;
    this.cluster = cluster;
    this.dir = dir;
    this.cryptoPort = member.cryptoPort();
    this.leaks = SessionLeaks.watch("the test member in " + dir, () -> this.member.openSessions());
  }

  private final int channelPort;
  private final java.util.function.Consumer<MemberConfig.Builder> settings;

  private MemberConfig config(Path dir, int cryptoPort) {
    return config(dir, cryptoPort, channelPort, settings);
  }

  private static MemberConfig config(
      Path dir,
      int cryptoPort,
      int channelPort,
      java.util.function.Consumer<MemberConfig.Builder> settings) {
    MemberConfig.Builder b =
        MemberConfig.builder()
            .channelPort(channelPort)
            .appliance(
                ApplianceConfig.builder()
                    .dataDir(dir.resolve("member"))
                    .kdfIterations(1000)
                    .build())
            .adminPort(0)
            .cryptoPort(cryptoPort)
            .initialAdminPassword(ADMIN_PASSWORD);
    settings.accept(b);
    return b.build();
  }

  /** Starts a member in {@code dir} with a cluster and the keyrings labelled {@code keyrings}. */
  public static TestMember start(Path dir, String... keyrings) throws Exception {
    return startInDomain(dir, DOMAIN, keyrings);
  }

  /** {@link #start}, with the partition initialized in cloning domain {@code domain}. */
  public static TestMember startInDomain(Path dir, String domain, String... keyrings)
      throws Exception {
    return start(dir, domain, 0, b -> {}, keyrings);
  }

  /** {@link #start}, with the crypto channel on {@code channelPort} (-1: no channel). */
  public static TestMember startWithChannelPort(Path dir, int channelPort, String... keyrings)
      throws Exception {
    return start(dir, DOMAIN, channelPort, b -> {}, keyrings);
  }

  /** {@link #start}, with {@code settings} applied to the member's configuration. */
  public static TestMember startWith(
      Path dir, java.util.function.Consumer<MemberConfig.Builder> settings, String... keyrings)
      throws Exception {
    return start(dir, DOMAIN, 0, settings, keyrings);
  }

  private static TestMember start(
      Path dir,
      String domain,
      int channelPort,
      java.util.function.Consumer<MemberConfig.Builder> settings,
      String... keyrings)
      throws Exception {
    Member m = Member.start(config(dir, 0, channelPort, settings));
    try {
      Appliance a = m.appliance();
      Hsm hsm = a.hsm();
      hsm.initialize("hsm1", SO);
      hsm.createPartition(SO, "clusterpar", "V1");
      hsm.initializePartition(SO, PO, domain);
      hsm.setPartitionPolicy(PO, Hsm.POLICY_PER_KEY_AUTH, 0);
      hsm.initCo(PO, CO_INITIAL);
      hsm.changeCoPassword(CO_INITIAL, CO);
      ClusterRecord c = a.createCluster(SO, "test-cluster");
      if (!a.pki().hasClusterCa()) {
        a.pki().createClusterCa(c.id(), c.label());
      }
      m.startCryptoApi();
      m.authorize(CO); // the first member of a cluster, as an operator authorizes it
      TestMember t = new TestMember(m, c, dir, channelPort, settings);
      for (String label : keyrings) {
        t.createKeyring(label);
      }
      return t;
    } catch (Exception | Error e) {
      m.close();
      throw e;
    }
  }

  public void createKeyring(String label) {
    member.appliance().keyrings().createKeyrings(CO, label, KEYRING_INITIAL, 1, null, null);
  }

  public Member member() {
    return member;
  }

  public UUID clusterId() {
    return cluster.id();
  }

  public int adminPort() {
    return member.adminPort();
  }

  /** The crypto port, the same across {@link #restart()}s. */
  public int cryptoPort() {
    return cryptoPort;
  }

  /**
   * Stops the member (both APIs; its sessions are lost, as in a crash of the process) and starts a
   * new one on the same data directory and crypto port, as an operator restarting it would.
   */
  public void restart() throws Exception {
    stop();
    member = Member.start(config(dir, cryptoPort));
  }

  /** Stops the member; {@link #restart()} brings it back. */
  public void stop() {
    member.close();
  }

  public X509Certificate clusterCa() {
    return member.appliance().pki().clusterCaCertificate();
  }

  /** The CN on the member's crypto API certificate. */
  public String serverCn() {
    return member.appliance().defaultMemberName();
  }

  /**
   * A client identity issued by the cluster CA directly (not through registration): key,
   * certificate and CA files under {@code dir}, and the configuration entry that names them.
   */
  public ClusterEntry issueClient(Path dir, int index, String cn) {
    MemberPki pki = member.appliance().pki();
    KeyPair kp = TestPki.ecKeyPair();
    X509Certificate cert = pki.issueClientCertificate(TestPki.csr(kp, cn), cn, Duration.ofDays(1));
    Path certFile = TestPki.write(dir.resolve(cn + ".pem"), TestPki.pem(cert));
    Path keyFile = TestPki.write(dir.resolve(cn + "Key.pem"), TestPki.pkcs8Pem(kp.getPrivate()));
    Path caFile = TestPki.write(dir.resolve("ca.pem"), TestPki.pem(clusterCa()));
    return new ClusterEntry(
        index, "127.0.0.1", cryptoPort(), certFile, keyFile, caFile, serverCn());
  }

  @Override
  public void close() {
    leaks.close();
    member.close();
  }
}
