package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;

/**
 * Finds HA group members, which the configuration file names by serial number only, on the
 * registered clusters, and opens sessions on them.
 */
final class HaLocator {
  private final ClusterClients clients;

  HaLocator(ClusterClients clients) {
    this.clients = clients;
  }

  ClusterClients clients() {
    return clients;
  }

  /** Opens a session on the member's keyring, finding its cluster first when not yet known. */
  KeyringChannel open(HaMember m) throws TransportException {
    if (m.clusterIndex < 0) {
      locate(m);
    }
    return clients.openSession(m.clusterIndex, m.keyringId.toString());
  }

  /**
   * Finds the cluster and keyring of the member's serial number.
   *
   * @throws HsmException CKR_SLOT_ID_INVALID when every cluster answered and none has it
   * @throws TransportException when it is on none of the clusters that answered and some did not
   */
  void locate(HaMember m) throws TransportException {
    TransportException unreachable = null;
    for (int index : clients.indexes()) {
      try {
        for (Slot s : clients.slots(index)) {
          if (s.serialNumber().equals(m.serial)) {
            m.keyringId = s.keyringId();
            m.label = s.label();
            m.clusterIndex = index;
            return;
          }
        }
      } catch (TransportException e) {
        if (unreachable != null) {
          e.addSuppressed(unreachable);
        }
        unreachable = e;
      }
    }
    if (unreachable != null) {
      throw new TransportException(
          unreachable.kind(),
          "HA group member "
              + m.serial
              + " is on none of the clusters that answered; some could not be reached: "
              + unreachable.getMessage(),
          unreachable);
    }
    throw new HsmException(
        ResultCode.CKR_SLOT_ID_INVALID,
        "no registered cluster has a keyring with serial number " + m.serial);
  }
}
