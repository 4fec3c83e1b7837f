package dev.keyring.sim.cluster;

import java.util.UUID;

/**
 * Told when replicated state changed under this member: a log entry applied (or appended by the
 * primary) or the primary's state installed. What is cached of the state it names is stale. The
 * wiring connects it to the boundary's cache of unwrapped keys and to the member's views of
 * replicated cluster values (registered clients and their revocations), which the cluster service
 * never sees itself. It is told on the thread that applied the entry, before the entry counts as
 * held here, so a write acknowledged by this member has taken effect in those views.
 */
public interface AppliedEntryListener {
  /** A listener that ignores every change. */
  AppliedEntryListener NONE =
      new AppliedEntryListener() {
        @Override
        public void objectChanged(UUID keyringId, long handle) {}

        @Override
        public void keyringChanged(UUID keyringId) {}
      };

  /** An object was updated, replaced or deleted. */
  void objectChanged(UUID keyringId, long handle);

  /** A keyring was deleted, or its whole state replaced by the primary's. */
  void keyringChanged(UUID keyringId);

  /** A cluster value was set, replaced or deleted (told after the entry is in the store). */
  default void clusterValueChanged(String name) {}

  /** The primary's whole state was installed in place of this member's. */
  default void stateReplaced() {}
}
