package dev.keyring.sim.boundary;

import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.UUID;

/**
 * The boundary of a simulated Luna Backup HSM: its own device key (a 32-byte file in the backup
 * HSM's directory, as a member's HSM has one) and the SMK clones that enter and leave it. An SMK
 * held by a backup partition is stored only wrapped (AES-KWP) under this device key, with the
 * backup partition's cloning domain key sealed the same way, so the files of a backup HSM open on
 * no other device.
 *
 * <p>An SMK moves between a member's partition and a backup partition only as an SMK clone ({@link
 * SmkClone}): the receiving side makes a one-time EC P-256 key pair inside its boundary, the
 * sending side encrypts the SMK for it under a key derived from ECDH and both sides' cloning domain
 * key, and the bundle is bound to a one-time transfer id and the domain fingerprint. A domain that
 * differs fails the clone. The raw SMK is never returned by any method here.
 *
 * <p>One operation at a time (the methods are synchronized); the device keeps no SMK loaded between
 * operations.
 */
public final class BackupHsmVault {
  private final SmkVault vault;

  private BackupHsmVault(SmkVault vault) {
    this.vault = vault;
  }

  /**
   * Opens the backup HSM's device key {@code deviceKeyFile}, creating it (mode 600) when absent.
   */
  public static BackupHsmVault open(Path deviceKeyFile) {
    SecureRandom random;
    try {
      random = SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      random = new SecureRandom();
    }
    Provider gcm = Security.getProvider("SunJCE");
    return new BackupHsmVault(SmkVault.open(deviceKeyFile, random, gcm));
  }

  /**
   * Derives the key of cloning domain {@code domain} inside and returns it sealed under this
   * device's key (Base64), for a backup partition to keep.
   */
  public synchronized String sealDomain(String domain) {
    try {
      return vault.sealDomain(domain);
    } finally {
      vault.clear();
    }
  }

  /**
   * Backup: clones the SMK active in {@code member}'s boundary into this device, under the cloning
   * domain whose sealed key is {@code sealedDomain} and whose fingerprint is {@code
   * domainFingerprint}. Returns the SMK wrapped under this device's key; the member's SMK is not
   * changed. A member of another cloning domain fails with "the SMK could not be cloned: cloning
   * domains differ or the bundle was altered".
   */
  public synchronized ProtectedSmk cloneFrom(
      Boundary member, String sealedDomain, String domainFingerprint) {
    UUID transfer = UUID.randomUUID();
    vault.clear();
    try {
      vault.loadDomain(sealedDomain);
      byte[] publicKey = vault.beginClone();
      byte[] bundle = member.exportSmkClone(publicKey, transfer, domainFingerprint);
      return vault.importClone(bundle, transfer, domainFingerprint);
    } finally {
      vault.clear();
    }
  }

  /**
   * Restore: clones the SMK {@code stored} (as {@link #cloneFrom} returned it) into {@code
   * member}'s boundary, where it becomes active; returns its protected form under the member's
   * device key for the member's partition to persist. The member refuses when it holds another SMK.
   */
  public synchronized ProtectedSmk cloneTo(
      Boundary member, ProtectedSmk stored, String sealedDomain, String domainFingerprint) {
    UUID transfer = UUID.randomUUID();
    vault.clear();
    try {
      vault.loadDomain(sealedDomain);
      vault.load(stored);
      byte[] publicKey = member.beginSmkClone();
      byte[] bundle = vault.exportClone(publicKey, transfer, domainFingerprint);
      return member.importSmkClone(bundle, transfer, domainFingerprint);
    } finally {
      vault.clear();
    }
  }

  /**
   * Checks that {@code stored} opens under this device's key and matches its fingerprint; a backup
   * partition copied from another device fails with CKR_DEVICE_ERROR.
   */
  public synchronized void verify(ProtectedSmk stored) {
    vault.clear();
    try {
      vault.load(stored);
    } finally {
      vault.clear();
    }
  }
}
