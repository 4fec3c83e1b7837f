package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import java.util.List;

/**
 * Where an HA group reaches its members: the registered clusters (index 00–09), their slots, and
 * sessions on their keyrings. The provider and {@code keyringcm} answer with their own clients of
 * each cluster ({@code KeyringClient}), so that a group and the keyrings opened directly share
 * connections.
 */
public interface ClusterClients {
  /** The indexes of the registered clusters. */
  List<Integer> indexes();

  /** The slots of the cluster at {@code index}. */
  List<Slot> slots(int index) throws TransportException;

  /** A session (not logged in) on keyring {@code keyringId} of the cluster at {@code index}. */
  KeyringChannel openSession(int index, String keyringId) throws TransportException;
}
