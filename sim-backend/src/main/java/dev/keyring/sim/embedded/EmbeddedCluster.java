package dev.keyring.sim.embedded;

import dev.keyring.sim.Appliance;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.store.ClusterRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A simulated cluster in one line, for tests and demos: {@code try (EmbeddedCluster c =
 * EmbeddedCluster.builder().start()) { ... }}. Each member is a real {@link Member} with its admin
 * and crypto APIs on loopback (ephemeral ports by default), its own data directory and H2 store. On
 * first start the HSM, its V1 partition, the CO and the cluster are set up with the builder's
 * passwords, and the member is authorized; on a later start on the same directory everything is
 * found as it was. A member whose process ended without {@link #close()} (a crash) comes back not
 * authorized: it signs with its keys but makes no new ones until {@link Member#authorize} (see
 * docs/cluster.md).
 *
 * <table>
 *   <caption>Builder options</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>members</td><td>1 (several members come with cluster join)</td></tr>
 *   <tr><td>dataDir</td><td>a temporary directory, deleted on close</td></tr>
 *   <tr><td>clusterLabel</td><td>{@code embedded}</td></tr>
 *   <tr><td>soPassword / poPassword / coPassword / adminPassword</td><td>fixed test values, see
 *       the constants</td></tr>
 *   <tr><td>kdfIterations</td><td>10,000 (cheap logins for tests; the appliance default is
 *       310,000)</td></tr>
 *   <tr><td>adminPort / cryptoPort</td><td>0 (any free port)</td></tr>
 * </table>
 */
public final class EmbeddedCluster implements AutoCloseable {
  public static final String DEFAULT_SO_PASSWORD = "embedded-hsm-so";
  public static final String DEFAULT_PO_PASSWORD = "embedded-partition-po";
  public static final String DEFAULT_CO_PASSWORD = "embedded-partition-co";
  public static final String DEFAULT_ADMIN_PASSWORD = "embedded-admin-1";
  public static final String PARTITION_LABEL = "clusterpar";

  private final Builder settings;
  private final Path dataDir;
  private final boolean temporary;
  private final List<Member> members;
  private final ClusterRecord cluster;

  private EmbeddedCluster(Builder b) throws Exception {
    this.settings = b;
    this.temporary = b.dataDir == null;
    this.dataDir = temporary ? Files.createTempDirectory("keyring-embedded-") : b.dataDir;
    Member m = null;
    try {
      m =
          Member.start(
              MemberConfig.builder()
                  .appliance(
                      ApplianceConfig.builder()
                          .dataDir(dataDir.resolve("member0"))
                          .kdfIterations(b.kdfIterations)
                          .build())
                  .adminPort(b.adminPort)
                  .cryptoPort(b.cryptoPort)
                  .initialAdminPassword(b.adminPassword)
                  .build());
      this.cluster = provision(m.appliance());
      m.startCryptoApi();
      if (!m.authorized() && !m.authorizationLost()) {
        m.authorize(b.coPassword); // the first member of a cluster, as the guide's creation
      }
      this.members = List.of(m);
    } catch (Exception | Error e) {
      if (m != null) {
        m.close();
      }
      if (temporary) {
        deleteTree(dataDir);
      }
      throw e;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  private ClusterRecord provision(Appliance a) {
    if (!a.hsm().initialized()) {
      a.hsm().initialize("embedded-hsm", settings.soPassword);
    }
    if (a.hsm().partition().isEmpty()) {
      a.hsm().createPartition(settings.soPassword, PARTITION_LABEL, "V1");
    }
    var partition = a.hsm().partition().orElseThrow();
    if (!partition.initialized()) {
      a.hsm().initializePartition(settings.soPassword, settings.poPassword, "embedded-domain");
    }
    if (partition.policies().getOrDefault(dev.keyring.sim.hsm.Hsm.POLICY_PER_KEY_AUTH, 0) != 0) {
      a.hsm()
          .setPartitionPolicy(settings.poPassword, dev.keyring.sim.hsm.Hsm.POLICY_PER_KEY_AUTH, 0);
    }
    if (!a.hsm().partition().orElseThrow().coInitialized()) {
      a.hsm().initCo(settings.poPassword, settings.coPassword + "-initial");
      a.hsm().changeCoPassword(settings.coPassword + "-initial", settings.coPassword);
    }
    return a.cluster().orElseGet(() -> a.createCluster(settings.soPassword, settings.clusterLabel));
  }

  public UUID clusterId() {
    return cluster.id();
  }

  public String clusterLabel() {
    return cluster.label();
  }

  public List<Member> members() {
    return members;
  }

  public Member member(int index) {
    return members.get(index);
  }

  /** The cluster CA certificate: what a client trusts for the crypto API. */
  public X509Certificate clusterCaCertificate() {
    return members.get(0).appliance().pki().clusterCaCertificate();
  }

  public String soPassword() {
    return settings.soPassword;
  }

  public String coPassword() {
    return settings.coPassword;
  }

  public String adminPassword() {
    return settings.adminPassword;
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() {
    for (Member m : members) {
      m.close();
    }
    if (temporary) {
      deleteTree(dataDir);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toArray(Path[]::new)) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  /** Collects settings; {@link #start()} checks them and starts the cluster. */
  public static final class Builder {
    private int members = 1;
    private Path dataDir;
    private String clusterLabel = "embedded";
    private String soPassword = DEFAULT_SO_PASSWORD;
    private String poPassword = DEFAULT_PO_PASSWORD;
    private String coPassword = DEFAULT_CO_PASSWORD;
    private String adminPassword = DEFAULT_ADMIN_PASSWORD;
    private int kdfIterations = 10_000;
    private int adminPort;
    private int cryptoPort;

    private Builder() {}

    public Builder members(int n) {
      this.members = n;
      return this;
    }

    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    public Builder clusterLabel(String label) {
      this.clusterLabel = label;
      return this;
    }

    public Builder soPassword(String v) {
      this.soPassword = v;
      return this;
    }

    public Builder poPassword(String v) {
      this.poPassword = v;
      return this;
    }

    public Builder coPassword(String v) {
      this.coPassword = v;
      return this;
    }

    public Builder adminPassword(String v) {
      this.adminPassword = v;
      return this;
    }

    public Builder kdfIterations(int v) {
      this.kdfIterations = v;
      return this;
    }

    public Builder adminPort(int v) {
      this.adminPort = v;
      return this;
    }

    public Builder cryptoPort(int v) {
      this.cryptoPort = v;
      return this;
    }

    public EmbeddedCluster start() throws Exception {
      if (members != 1) {
        throw new IllegalArgumentException(
            "members must be 1 for now (multi-member clusters need cluster join), got " + members);
      }
      return new EmbeddedCluster(this);
    }
  }
}
