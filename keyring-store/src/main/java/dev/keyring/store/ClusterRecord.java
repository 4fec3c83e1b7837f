package dev.keyring.store;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The cluster a member's store belongs to. A store holds at most one cluster.
 *
 * @param id the cluster's identity
 * @param label the cluster's name
 * @param createdAt when the store created it (to the microsecond)
 */
public record ClusterRecord(UUID id, String label, Instant createdAt) {
  /** Checks that no component is null. */
  public ClusterRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
