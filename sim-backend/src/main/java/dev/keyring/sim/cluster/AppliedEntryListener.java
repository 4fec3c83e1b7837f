package dev.keyring.sim.cluster;

import java.util.UUID;

/**
 * Told when replicated state changed under this member: a log entry applied (or appended by the
 * primary) or the primary's state installed. What is cached of the state it names is stale. The
 * wiring connects it to the boundary's cache of unwrapped keys, which the cluster service never
 * sees itself.
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
}
