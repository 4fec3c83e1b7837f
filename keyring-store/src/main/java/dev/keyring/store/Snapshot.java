package dev.keyring.store;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The whole replicated state of a store at one log position, as {@link KeyringStore#snapshot()}
 * reads it and {@link KeyringStore#installSnapshot} writes it. The HSM state is not part of it.
 *
 * @param position the log position the state is at
 * @param cluster the cluster row, or null when the store has none
 * @param keyrings every keyring (with its next handle and creation time)
 * @param objects every object
 * @param clusterValues every cluster value, by name (the arrays are copied)
 */
public record Snapshot(
    LogPosition position,
    ClusterRecord cluster,
    List<KeyringRecord> keyrings,
    List<ObjectRecord> objects,
    Map<String, byte[]> clusterValues) {
  /** Copies the collections; only {@code cluster} may be null. */
  public Snapshot {
    Objects.requireNonNull(position, "position");
    keyrings = List.copyOf(keyrings);
    objects = List.copyOf(objects);
    clusterValues = copy(clusterValues);
  }

  /** An unmodifiable copy of the cluster values, arrays copied, by name. */
  @Override
  public Map<String, byte[]> clusterValues() {
    return copy(clusterValues);
  }

  private static Map<String, byte[]> copy(Map<String, byte[]> values) {
    TreeMap<String, byte[]> out = new TreeMap<>();
    values.forEach(
        (k, v) ->
            out.put(
                Objects.requireNonNull(k, "cluster value name"),
                Objects.requireNonNull(v, "cluster value").clone()));
    return Collections.unmodifiableMap(out);
  }

  /** Position and counts only. */
  @Override
  public String toString() {
    return "Snapshot["
        + position
        + " "
        + keyrings.size()
        + " keyrings, "
        + objects.size()
        + " objects, "
        + clusterValues.size()
        + " cluster values]";
  }
}
