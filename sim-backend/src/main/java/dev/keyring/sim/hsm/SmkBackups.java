package dev.keyring.sim.hsm;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.boundary.ProtectedSmk;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Backing up the cluster SMK of this appliance's partition to a connected Luna Backup HSM, and
 * restoring it from one, as the administration guide's "Backing Up/Restoring the Cluster SMK"
 * describes. The SMK travels only as an SMK clone between the two boundaries ({@link
 * dev.keyring.sim.boundary.BackupHsmVault}); every check is made before anything changes.
 */
public final class SmkBackups {
  private static final DateTimeFormatter DAY =
      DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

  private final Hsm hsm;
  private final Boundary boundary;
  private final BackupHsmPort port;
  private final Supplier<Optional<String>> cluster;
  private final Ticker ticker;

  /**
   * @param cluster the cluster this appliance belongs to, as "label (id)", or empty
   */
  public SmkBackups(
      Hsm hsm,
      Boundary boundary,
      BackupHsmPort port,
      Supplier<Optional<String>> cluster,
      Ticker ticker) {
    this.hsm = hsm;
    this.boundary = boundary;
    this.port = port;
    this.cluster = cluster;
    this.ticker = ticker;
  }

  /** What a backup or restore did. */
  public record Outcome(
      String partition, String serial, String tokenpar, String smkId, boolean replaced) {}

  /** The label a backup of {@code partition} gets by default: {@code <partition>_<YYYYMMDD>}. */
  public String defaultLabel(String partition) {
    return partition + "_" + DAY.format(Instant.ofEpochMilli(ticker.currentTimeMillis()));
  }

  /**
   * Backs up the partition's SMK into backup partition {@code tokenpar} (null: the default label)
   * of backup HSM {@code serial}.
   *
   * @param coPassword the cluster partition's CO password
   * @param soPassword the backup HSM's SO password
   * @param newPassword the new password of the backup partition (needed again to restore)
   * @param domain the backup partition's cloning domain: must be the cluster partition's
   * @param replace whether an existing backup of that label may be overwritten
   */
  public synchronized Outcome backup(
      String partition,
      String serial,
      String tokenpar,
      String coPassword,
      String soPassword,
      String newPassword,
      String domain,
      boolean replace) {
    requireOwnPartition(partition);
    BackupHsm device = port.find(serial);
    device.requireInitialized();
    String label = tokenpar == null ? defaultLabel(partition) : tokenpar;
    BackupHsm.requireLabel(label);
    BackupHsm.requireDomain(domain);
    Passwords.requireValidNew(newPassword, "backup partition");
    boolean exists = device.hasPartition(label);
    if (exists && !replace) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "backup HSM "
              + serial
              + " already holds a backup '"
              + label
              + "': choose another label, or ask to replace it (-replace)");
    }
    hsm.authenticateCo(coPassword);
    device.authenticateSo(soPassword);
    String fingerprint = PasswordHasher.fingerprint("cloning domain", domain);
    if (!fingerprint.equals(hsm.cloningDomainFingerprint())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the domain given does not match the cloning domain of partition '"
              + partition
              + "': the backup partition must be of the cluster partition's domain");
    }
    if (!hsm.hasSmk()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "partition '" + partition + "' holds no SMK to back up: create or join a cluster first");
    }
    String sealedDomain = device.vault().sealDomain(domain);
    ProtectedSmk smk = device.vault().cloneFrom(boundary, sealedDomain, fingerprint);
    BackupHsm.Partition p = new BackupHsm.Partition();
    p.label = label;
    p.sourcePartition = partition;
    p.sourceSerial = hsm.serialNumber();
    p.createdAt = BackupHsm.now(ticker.currentTimeMillis());
    p.coVerifier = device.hasher().hash(newPassword);
    p.domainFingerprint = fingerprint;
    p.domainKey = sealedDomain;
    p.smk = smk.encode();
    device.putPartition(p);
    return new Outcome(partition, serial, label, smk.fingerprint(), exists);
  }

  /**
   * Restores the SMK of backup partition {@code tokenpar} of backup HSM {@code serial} into this
   * appliance's partition {@code partition}, which must not encrypt a cluster. Afterwards a cluster
   * created here uses it.
   *
   * @param backupPassword the backup partition's password (set when it was made)
   * @param coPassword the target partition's CO password
   */
  public synchronized Outcome restore(
      String partition, String serial, String tokenpar, String backupPassword, String coPassword) {
    requireOwnPartition(partition);
    BackupHsm device = port.find(serial);
    device.requireInitialized();
    BackupHsm.Partition p = device.requirePartition(tokenpar);
    device.authenticatePartition(tokenpar, backupPassword);
    hsm.authenticateCo(coPassword);
    Optional<String> c = cluster.get();
    if (c.isPresent()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "partition '"
              + partition
              + "' already encrypts cluster "
              + c.get()
              + ": an SMK is restored only before a cluster is created (restoring would make its"
              + " keyrings unreadable); nothing was changed");
    }
    ProtectedSmk stored = ProtectedSmk.decode(p.smk);
    PartitionInfo info = hsm.partition().orElseThrow();
    if (info.smkFingerprint() != null) {
      if (info.smkFingerprint().equals(stored.fingerprint())) {
        return new Outcome(partition, serial, tokenpar, stored.fingerprint(), false);
      }
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "partition '"
              + partition
              + "' already holds the SMK "
              + info.smkFingerprint()
              + " (restored earlier, no cluster yet); a factory reset of the cluster service"
              + " clears it before another SMK is restored; nothing was changed");
    }
    if (!p.domainFingerprint.equals(hsm.cloningDomainFingerprint())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "backup '"
              + tokenpar
              + "' is of another cloning domain than partition '"
              + partition
              + "': an SMK is restored only within its cloning domain");
    }
    hsm.requireReadyForCluster();
    ProtectedSmk smk = device.vault().cloneTo(boundary, stored, p.domainKey, p.domainFingerprint);
    try {
      hsm.installClonedSmk(smk);
    } catch (RuntimeException e) {
      boundary.clearSmk(); // the partition held none before
      throw e;
    }
    return new Outcome(partition, serial, tokenpar, smk.fingerprint(), false);
  }

  private void requireOwnPartition(String partition) {
    if (partition == null || partition.isEmpty()) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "the partition label is required");
    }
    PartitionInfo info =
        hsm.partition()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_TOKEN_NOT_PRESENT,
                        "HSM " + hsm.serialNumber() + " has no partition yet"));
    if (!info.label().equals(partition)) {
      throw new HsmException(
          ResultCode.CKR_TOKEN_NOT_PRESENT,
          "no partition '"
              + partition
              + "' on HSM "
              + hsm.serialNumber()
              + " (its partition is '"
              + info.label()
              + "')");
    }
  }
}
