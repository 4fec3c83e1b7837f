package dev.keyring.client.ha;

import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The slots of a client over every cluster it is registered with ({@code LNHServer00} to {@code
 * 09}), within the per-client limit of the administration guide: one client manages at most {@link
 * KeyringLimits#MAX_KEYRINGS_PER_CLIENT} keyrings, however they are spread over its clusters.
 *
 * <p>Over the limit the list is refused, whole, with an error that names the limit and the count of
 * each cluster: a client that silently worked with a part of its keyrings would hide the others
 * without a word, and which part would depend on the order of the configuration file.
 */
public final class ClientSlots {
  private ClientSlots() {}

  /** A slot and the index of the cluster it is on. */
  public record ClusterSlot(int clusterIndex, Slot slot) {}

  /** The slots of every registered cluster, in cluster index order; over the limit, refused. */
  public static List<ClusterSlot> list(ClusterClients clusters) throws TransportException {
    return list(clusters, KeyringLimits.MAX_KEYRINGS_PER_CLIENT);
  }

  /**
   * The slots of every registered cluster, refused when they are more than {@code limit}.
   *
   * @throws HsmException {@code CKR_FUNCTION_FAILED} over the limit, naming it and each count
   */
  public static List<ClusterSlot> list(ClusterClients clusters, int limit)
      throws TransportException {
    Map<Integer, Integer> counts = new LinkedHashMap<>();
    List<ClusterSlot> out = new ArrayList<>();
    for (int index : clusters.indexes()) {
      List<Slot> slots = clusters.slots(index);
      counts.put(index, slots.size());
      for (Slot s : slots) {
        out.add(new ClusterSlot(index, s));
      }
    }
    check(counts, limit);
    return out;
  }

  /**
   * Refuses when the keyrings counted per cluster index are more than {@code limit} in all.
   *
   * @throws HsmException {@code CKR_FUNCTION_FAILED} over the limit
   */
  public static void check(Map<Integer, Integer> counts, int limit) {
    int total = counts.values().stream().mapToInt(Integer::intValue).sum();
    if (total <= limit) {
      return;
    }
    String each =
        counts.entrySet().stream()
            .map(e -> String.format("LNHServer%02d: %,d", e.getKey(), e.getValue()))
            .collect(Collectors.joining(", "));
    throw new HsmException(
        ResultCode.CKR_FUNCTION_FAILED,
        String.format(
            "this client sees %,d keyrings over its registered clusters (%s); a client manages at"
                + " most %,d keyrings over all its clusters: delete keyrings it does not use, or"
                + " split its clusters between client configurations",
            total, each, limit));
  }
}
