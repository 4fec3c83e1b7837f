package dev.keyring.sim.server;

import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.cluster.AppliedEntryListener;
import java.util.UUID;

/** Drops from the boundary's cache the keys of objects and keyrings that replication changed. */
final class BoundaryCacheInvalidation implements AppliedEntryListener {
  private final Boundary boundary;

  BoundaryCacheInvalidation(Boundary boundary) {
    this.boundary = boundary;
  }

  @Override
  public void objectChanged(UUID keyringId, long handle) {
    boundary.evictObject(keyringId, handle);
  }

  @Override
  public void keyringChanged(UUID keyringId) {
    boundary.evictKeyring(keyringId);
  }
}
