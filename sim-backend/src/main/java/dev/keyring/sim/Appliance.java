package dev.keyring.sim;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.boundary.BoundaryConfig;
import dev.keyring.sim.boundary.MemberPki;
import dev.keyring.sim.hsm.BackupHsmPort;
import dev.keyring.sim.hsm.Hsm;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.sim.hsm.SmkBackups;
import dev.keyring.sim.keyring.KeyringService;
import dev.keyring.store.ClusterRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.OwnerOnlyFiles;
import dev.keyring.store.ReplicatedWriter;
import java.util.Optional;
import java.util.UUID;

/**
 * One simulated appliance: its durable store, its HSM (partition and SMK), the boundary, and the
 * keyrings of the cluster it belongs to. Opening it again on the same data directory finds
 * everything as it was.
 */
public final class Appliance implements AutoCloseable {
  private final ApplianceConfig config;
  private final KeyringStore store;
  private final Boundary boundary;
  private final Hsm hsm;
  private final KeyringService keyrings;
  private final SwitchableWriter writer;
  private final BackupHsmPort backupHsms;
  private final SmkBackups smkBackups;
  private volatile MemberPki pki; // set once, on first use

  private Appliance(ApplianceConfig config) {
    this.config = config;
    // the member's state (store, device key, users) is for the member's owner alone
    OwnerOnlyFiles.directory(config.dataDir());
    this.store = KeyringStore.open(config.store());
    this.writer = new SwitchableWriter(ReplicatedWriter.local(store));
    try {
      this.boundary =
          Boundary.open(
              BoundaryConfig.builder()
                  .deviceKeyFile(config.dataDir().resolve("hsm").resolve("device.key"))
                  .maxCachedKeys(config.maxCachedKeys())
                  .build(),
              store,
              writer);
      PasswordHasher hasher = new PasswordHasher(config.kdfIterations());
      this.hsm = Hsm.open(store, boundary, hasher, config.ticker());
      this.keyrings = new KeyringService(store, boundary, hsm, hasher, writer, config.ticker());
      this.backupHsms = BackupHsmPort.open(config.dataDir(), hasher, config.ticker());
      this.smkBackups =
          new SmkBackups(
              hsm,
              boundary,
              backupHsms,
              () -> store.cluster().map(c -> "'" + c.label() + "' (" + c.id() + ")"),
              config.ticker());
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  public static Appliance open(ApplianceConfig config) {
    return new Appliance(config);
  }

  public ApplianceConfig config() {
    return config;
  }

  public Hsm hsm() {
    return hsm;
  }

  public Boundary boundary() {
    return boundary;
  }

  /**
   * This member's PKI (appliance TLS identity, cluster CA, member and client certificates,
   * revocation), whose keys stay inside the boundary. Opened on first use.
   */
  public MemberPki pki() {
    MemberPki p = pki;
    if (p != null) {
      return p; // read by every crypto request (the revocation check): no lock once opened
    }
    synchronized (this) {
      if (pki == null) {
        pki = MemberPki.open(boundary, store);
      }
      return pki;
    }
  }

  /** The Luna Backup HSMs connected to this appliance (simulated USB port). */
  public BackupHsmPort backupHsms() {
    return backupHsms;
  }

  /** Backup and restore of the partition's SMK to and from a connected backup HSM. */
  public SmkBackups smkBackups() {
    return smkBackups;
  }

  public KeyringService keyrings() {
    return keyrings;
  }

  public KeyringStore store() {
    return store;
  }

  /**
   * Sends every later write of keyrings and objects through {@code target} (the member's cluster
   * service); null restores local writes as the primary of this member's own log.
   */
  public void replicateThrough(ReplicatedWriter target) {
    writer.target(target == null ? ReplicatedWriter.local(store) : target);
  }

  /** Where writes of keyrings and objects go now. */
  public ReplicatedWriter writer() {
    return writer;
  }

  public Optional<ClusterRecord> cluster() {
    return store.cluster();
  }

  /** The member name the seed gives a new cluster's first member. */
  public String defaultMemberName() {
    return "LNH-" + hsm.serialNumber();
  }

  /**
   * Creates a cluster on this appliance as the HSM SO: the partition must be ready (see {@link
   * Hsm#requireReadyForCluster()}); the SMK is generated inside the partition, unless one was
   * restored there from a backup HSM ({@link SmkBackups#restore}), which the cluster then uses; the
   * cluster CA (which issues member and client certificates) is made inside the boundary. Only one
   * cluster per appliance.
   */
  public synchronized ClusterRecord createCluster(String soPassword, String label) {
    hsm.authenticateSo(soPassword);
    Optional<ClusterRecord> existing = store.cluster();
    if (existing.isPresent()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "this appliance already belongs to cluster '"
              + existing.get().label()
              + "' ("
              + existing.get().id()
              + "); an appliance holds one cluster");
    }
    if (label == null || !label.matches(dev.keyring.sim.keyring.KeyringService.LABEL_RULE)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "cluster label must be 1 to 64 characters of letters, digits, '_', '.', '-'; got '"
              + label
              + "'");
    }
    hsm.requireReadyForCluster();
    if (!hsm.hasSmk()) {
      hsm.createSmk();
    }
    UUID id = UUID.randomUUID();
    // the CA first: if it fails, no cluster row exists and a retry starts clean
    pki().createClusterCa(id, label);
    return store.write(tx -> tx.createCluster(id, label));
  }

  /**
   * Factory reset of the cluster service, as the HSM SO: this member forgets its cluster — the
   * cluster, its keyrings and objects, the cluster CA and member certificate, and the partition's
   * SMK. The HSM, its partition and roles stay. A member deleted from a cluster must do this before
   * it may join one again.
   */
  public synchronized void factoryResetCluster(String soPassword) {
    hsm.authenticateSo(soPassword);
    Optional<ClusterRecord> c = store.cluster();
    if (c.isPresent()) {
      UUID id = c.get().id();
      store.write(tx -> tx.deleteCluster(id));
    }
    pki().forgetCluster();
    hsm.clearSmk();
  }

  @Override
  public void close() {
    try {
      boundary.close();
    } finally {
      store.close();
    }
  }
}
