package dev.keyring.client.api;

import dev.keyring.protocol.KeyringSerial;
import java.util.UUID;

/**
 * A keyring of the cluster, seen as a slot.
 *
 * @param slotId the slot number the member lists it under
 * @param keyringId the keyring's UUID
 * @param label the keyring's label
 * @param locked whether too many failed logins locked it (the cluster CO unlocks it)
 * @param krcoInitialized whether its KRCO role may log in
 * @param passwordChangeRequired whether its initial password must still be changed
 */
public record Slot(
    long slotId,
    UUID keyringId,
    String label,
    boolean locked,
    boolean krcoInitialized,
    boolean passwordChangeRequired) {
  /**
   * The keyring's serial number: twelve digits, the same on every member and stable for the
   * keyring's life; HA groups name their members by it.
   */
  public String serialNumber() {
    return KeyringSerial.of(keyringId);
  }
}
