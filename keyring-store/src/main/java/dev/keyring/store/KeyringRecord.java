package dev.keyring.store;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One keyring as stored: its identity, lock state, failed-login counter and the verifier of the
 * password its two roles share. The verifier comes from a slow password KDF; the password itself is
 * never stored.
 *
 * @param id the keyring's identity
 * @param clusterId the cluster it belongs to
 * @param label its name, unique in the store
 * @param credentialVerifier the verifier of the roles' password (never the password)
 * @param passwordChangeRequired true until the initial (KRSO) password has been changed
 * @param krcoInitialized true once the KRCO role has been initialized
 * @param locked true once too many failed logins have locked it
 * @param failedLogins failed logins counted toward lockout
 * @param createdAt when it was created (the store keeps microseconds)
 * @param nextHandle the handle the keyring's next object gets (1 for a new keyring; the store
 *     assigns it: {@link StoreTransaction#createKeyrings} and {@link
 *     StoreTransaction#updateKeyring} ignore it)
 */
public record KeyringRecord(
    UUID id,
    UUID clusterId,
    String label,
    String credentialVerifier,
    boolean passwordChangeRequired,
    boolean krcoInitialized,
    boolean locked,
    int failedLogins,
    Instant createdAt,
    long nextHandle) {
  /** Checks that no reference component is null. */
  public KeyringRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(credentialVerifier, "credentialVerifier");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** A keyring that holds no objects yet: its next handle is 1. */
  public KeyringRecord(
      UUID id,
      UUID clusterId,
      String label,
      String credentialVerifier,
      boolean passwordChangeRequired,
      boolean krcoInitialized,
      boolean locked,
      int failedLogins,
      Instant createdAt) {
    this(
        id,
        clusterId,
        label,
        credentialVerifier,
        passwordChangeRequired,
        krcoInitialized,
        locked,
        failedLogins,
        createdAt,
        1);
  }

  /** A copy with a new verifier and password-change flag. */
  public KeyringRecord withCredential(String verifier, boolean changeRequired) {
    return new KeyringRecord(
        id,
        clusterId,
        label,
        verifier,
        changeRequired,
        krcoInitialized,
        locked,
        failedLogins,
        createdAt,
        nextHandle);
  }

  /** A copy with the KRCO-initialized flag set to {@code initialized}. */
  public KeyringRecord withKrcoInitialized(boolean initialized) {
    return new KeyringRecord(
        id,
        clusterId,
        label,
        credentialVerifier,
        passwordChangeRequired,
        initialized,
        locked,
        failedLogins,
        createdAt,
        nextHandle);
  }

  /** A copy with the lock state and failed-login count replaced. */
  public KeyringRecord withLock(boolean isLocked, int failed) {
    return new KeyringRecord(
        id,
        clusterId,
        label,
        credentialVerifier,
        passwordChangeRequired,
        krcoInitialized,
        isLocked,
        failed,
        createdAt,
        nextHandle);
  }

  /** Label and id only: the verifier is not shown. */
  @Override
  public String toString() {
    return "Keyring[" + label + " " + id + (locked ? " locked" : "") + "]";
  }
}
