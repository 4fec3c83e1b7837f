package dev.keyring.sim.server;

import dev.keyring.sim.cluster.AppliedEntryListener;
import java.util.UUID;

/**
 * What a member keeps in memory of replicated state, told when that state changes under it: the
 * boundary's cache of unwrapped keys ({@link BoundaryCacheInvalidation}) and the registered clients
 * with their revocations ({@link RegisteredClients}), the keyrings assigned to clients ({@link
 * KeyringAssignments}) and the appliance users ({@link ApplianceUsers}) with their cluster-wide
 * lockout counts ({@link SharedLockouts}), which take effect before the entry that changed them
 * counts as held by this member.
 */
final class ReplicatedViews implements AppliedEntryListener {
  private final BoundaryCacheInvalidation keys;
  private final RegisteredClients clients;
  private final KeyringAssignments assignments;
  private final SharedLockouts lockouts;
  private final Runnable usersChanged;

  ReplicatedViews(
      BoundaryCacheInvalidation keys,
      RegisteredClients clients,
      KeyringAssignments assignments,
      SharedLockouts lockouts,
      Runnable usersChanged) {
    this.keys = keys;
    this.clients = clients;
    this.assignments = assignments;
    this.lockouts = lockouts;
    this.usersChanged = usersChanged;
  }

  @Override
  public void objectChanged(UUID keyringId, long handle) {
    keys.objectChanged(keyringId, handle);
  }

  @Override
  public void keyringChanged(UUID keyringId) {
    keys.keyringChanged(keyringId);
  }

  @Override
  public void clusterValueChanged(String name) {
    if (name.startsWith(RegisteredClients.PREFIX)) {
      clients.reload();
    } else if (name.equals(KeyringAssignments.KEY)) {
      assignments.reload();
    } else if (name.equals(UserStateStore.KEY)) {
      usersChanged.run();
    } else if (name.startsWith(SharedLockouts.PREFIX)) {
      lockouts.reload(name);
    }
  }

  @Override
  public void stateReplaced() {
    clients.reload();
    assignments.reload();
    lockouts.reloadAll();
    usersChanged.run();
  }
}
