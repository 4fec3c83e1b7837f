package dev.keyring.client.ha;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.TransportException;
import java.util.List;

/**
 * Where an HA group reaches its members: the client of each registered cluster (index 00–09) and
 * the list of those indexes. The provider gives its own clients, so that a group and the keyrings
 * opened directly share connections.
 */
public interface ClusterClients {
  /** The client of the cluster at {@code index}, opened on first use. */
  KeyringClient client(int index) throws TransportException;

  /** The indexes of the registered clusters. */
  List<Integer> indexes();
}
