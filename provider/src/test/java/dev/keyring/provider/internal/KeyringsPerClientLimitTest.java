package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.ha.ClientSlots;
import dev.keyring.client.ha.ClusterClients;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import dev.keyring.testing.channel.FakeCluster;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The administration guide's per-client limit: one client manages at most 3,500 keyrings over all
 * the clusters it is registered with. Its slot list over several clusters (fake clusters, cheap
 * keyrings) is whole at 3,500 and refused at 3,501, naming the limit and the count of each cluster.
 */
class KeyringsPerClientLimitTest {

  /** Fake clusters registered at the given indexes (LNHServerNN). */
  private static ClusterClients registered(Map<Integer, FakeCluster> clusters) {
    return new ClusterClients() {
      @Override
      public List<Integer> indexes() {
        return new ArrayList<>(clusters.keySet());
      }

      @Override
      public List<Slot> slots(int index) throws TransportException {
        return clusters.get(index).member(0).slots();
      }

      @Override
      public KeyringChannel openSession(int index, String keyringId) throws TransportException {
        return clusters.get(index).openChannel(keyringId);
      }
    };
  }

  private static FakeCluster withKeyrings(String prefix, int n) {
    FakeCluster c = new FakeCluster(1);
    for (int i = 0; i < n; i++) {
      c.createKeyring(prefix + i, "keyring-password-1");
    }
    return c;
  }

  @Test
  void theLimitIsTheGuides() {
    assertEquals(3500, KeyringLimits.MAX_KEYRINGS_PER_CLIENT);
  }

  @Test
  void atTheLimit_theSlotListOverThreeClustersIsWhole_andOneMoreIsRefused() throws Exception {
    Map<Integer, FakeCluster> clusters = new LinkedHashMap<>();
    clusters.put(0, withKeyrings("a", 1500));
    clusters.put(3, withKeyrings("b", 1500));
    clusters.put(9, withKeyrings("c", 500));
    List<ClientSlots.ClusterSlot> all = ClientSlots.list(registered(clusters));
    assertEquals(3500, all.size());
    assertEquals(0, all.get(0).clusterIndex());
    assertEquals(3, all.get(1500).clusterIndex());
    assertEquals(9, all.get(3499).clusterIndex());
    assertEquals("c499", all.get(3499).slot().label());

    clusters.get(9).createKeyring("c500", "keyring-password-1");
    HsmException refused =
        assertThrows(HsmException.class, () -> ClientSlots.list(registered(clusters)));
    assertEquals(ResultCode.CKR_FUNCTION_FAILED, refused.code());
    String m = refused.getMessage();
    assertTrue(m.contains("3,501 keyrings"), m);
    assertTrue(m.contains("at most 3,500 keyrings over all its clusters"), m);
    assertTrue(m.contains("LNHServer00: 1,500, LNHServer03: 1,500, LNHServer09: 501"), m);
  }

  @Test
  void oneClusterAlone_isHeldToTheSameLimit() {
    HsmException refused =
        assertThrows(HsmException.class, () -> ClientSlots.check(Map.of(0, 3501), 3500));
    assertTrue(refused.getMessage().contains("LNHServer00: 3,501"), refused.getMessage());
    assertDoesNotThrow(() -> ClientSlots.check(Map.of(0, 3500), 3500), "at the limit");
    assertDoesNotThrow(() -> ClientSlots.check(Map.of(), 3500), "no cluster");
  }
}
