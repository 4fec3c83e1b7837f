package dev.keyring.provider.internal;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.ha.ClientSlots;
import dev.keyring.client.ha.ClusterClients;
import dev.keyring.client.ha.HaGroups;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Channels on the clusters the configuration file registers: one {@link KeyringClient} per cluster
 * index, opened on first use and closed with the provider.
 */
final class RegisteredClusters implements ChannelOpener {
  private final ProviderSettings settings;
  private final Map<Integer, KeyringClient> clients = new ConcurrentHashMap<>();
  private final ClusterClients clusters =
      new ClusterClients() {
        @Override
        public List<Integer> indexes() {
          return settings.config().clusters().stream().map(ClusterEntry::index).toList();
        }

        @Override
        public List<Slot> slots(int index) throws TransportException {
          List<Slot> slots = client(index).slots();
          counted(index, slots.size());
          return slots;
        }

        @Override
        public KeyringChannel openSession(int index, String keyringId) throws TransportException {
          return client(index).openSession(keyringId);
        }
      };
  private final Map<Integer, Integer> keyringCounts = new ConcurrentHashMap<>();

  RegisteredClusters(ProviderSettings settings) {
    this.settings = settings;
  }

  /**
   * A slot named like an HA group of the configuration ({@code VirtualToken}) opens the group's
   * virtual slot, over the members on every registered cluster, which follows the group's changes
   * to the configuration file while it is logged in; any other name is a keyring of the cluster at
   * {@code clusterIndex}.
   */
  @Override
  public KeyringChannel open(int clusterIndex, String keyringLabelOrId) throws TransportException {
    Optional<KeyringChannel> group =
        HaGroups.openIfGroup(settings.config(), keyringLabelOrId, clusters, settings.file());
    if (group.isPresent()) {
      return group.get();
    }
    if (settings.config().haSettings().haOnly()) {
      refuseHiddenMember(clusterIndex, keyringLabelOrId);
    }
    if (!keyringCounts.containsKey(clusterIndex) || overKeyringLimit()) {
      clusters.slots(clusterIndex); // counts its keyrings, within the per-client limit
    }
    return client(clusterIndex).openSession(keyringLabelOrId);
  }

  /**
   * The administration guide's per-client limit ({@link KeyringLimits#MAX_KEYRINGS_PER_CLIENT}
   * keyrings over all its clusters), over the clusters this provider uses: each is counted at its
   * first use and again whenever its slots are listed (an HA group lists them); a cluster unused or
   * down is not contacted for it. Over the limit the call is refused, naming the limit and each
   * cluster's count.
   */
  private boolean overKeyringLimit() {
    int total = keyringCounts.values().stream().mapToInt(Integer::intValue).sum();
    return total > KeyringLimits.MAX_KEYRINGS_PER_CLIENT;
  }

  private void counted(int index, int keyrings) {
    keyringCounts.put(index, keyrings);
    ClientSlots.check(new TreeMap<>(keyringCounts), KeyringLimits.MAX_KEYRINGS_PER_CLIENT);
  }

  /** In HA-only mode, a member slot of an HA group is not opened directly. */
  private void refuseHiddenMember(int clusterIndex, String name) throws TransportException {
    for (Slot s : clusters.slots(clusterIndex)) {
      if (!s.label().equals(name)
          && !s.keyringId().toString().equalsIgnoreCase(name)
          && !s.serialNumber().equals(name)) {
        continue;
      }
      for (HaGroupEntry g : settings.config().haGroups()) {
        if (g.memberSerials().contains(s.serialNumber())) {
          throw new HsmException(
              ResultCode.CKR_SLOT_ID_INVALID,
              "HA-only mode (HAOnly = 1) hides slot "
                  + s.serialNumber()
                  + ", a member of HA group '"
                  + g.label()
                  + "': open the group (slot="
                  + g.label()
                  + ")");
        }
      }
    }
  }

  /** The client of the cluster at {@code index}, opened on first use. */
  private KeyringClient client(int index) throws TransportException {
    KeyringClient c = clients.get(index);
    if (c != null) {
      return c;
    }
    synchronized (clients) {
      c = clients.get(index);
      if (c == null) {
        ClusterEntry entry =
            ProviderSettings.requireCluster(settings.config(), index, settings.file().toString());
        try {
          c = KeyringClient.open(entry);
        } catch (TransportException e) {
          if (e.kind() != TransportException.Kind.CONFIGURATION) {
            throw e;
          }
          throw new TransportException(e.kind(), settings.file() + ": " + e.getMessage(), e);
        }
        clients.put(index, c);
      }
      return c;
    }
  }

  /** Closes every client (which closes the sessions they still have open). */
  @Override
  public void close() {
    for (KeyringClient c : clients.values()) {
      c.close();
    }
    clients.clear();
  }
}
