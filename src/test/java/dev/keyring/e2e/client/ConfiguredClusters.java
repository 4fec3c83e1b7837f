package dev.keyring.e2e.client;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.ha.ClusterClients;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The HA tests' own clients of the clusters a configuration registers: one {@link KeyringClient}
 * per cluster index, opened on first use, all closed together.
 */
public final class ConfiguredClusters implements ClusterClients, AutoCloseable {

  private final ClientConfig cfg;
  private final Map<Integer, KeyringClient> open = new HashMap<>();

  public ConfiguredClusters(ClientConfig cfg) {
    this.cfg = cfg;
  }

  private synchronized KeyringClient client(int index)
      throws dev.keyring.client.api.TransportException {
    KeyringClient k = open.get(index);
    if (k == null) {
      k = KeyringClient.open(cfg, index);
      open.put(index, k);
    }
    return k;
  }

  @Override
  public List<Integer> indexes() {
    return cfg.clusters().stream().map(ClusterEntry::index).toList();
  }

  @Override
  public List<Slot> slots(int index) throws dev.keyring.client.api.TransportException {
    return client(index).slots();
  }

  @Override
  public KeyringChannel openSession(int index, String keyringId)
      throws dev.keyring.client.api.TransportException {
    return client(index).openSession(keyringId);
  }

  @Override
  public synchronized void close() {
    open.values().forEach(KeyringClient::close);
  }
}
