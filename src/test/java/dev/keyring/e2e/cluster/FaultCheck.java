package dev.keyring.e2e.cluster;

import java.util.Set;
import java.util.TreeSet;

/**
 * What a fault run's history says against what the cluster holds at the end (the live members'
 * digests being equal, what one member holds every member holds).
 *
 * @param lost acknowledged creates missing, not deleted (nor maybe deleted) since
 * @param undone acknowledged deletes whose object is still there
 * @param refusedButApplied creates refused for sure whose object is there
 */
record FaultCheck(Set<String> lost, Set<String> undone, Set<String> refusedButApplied) {

  /** Checks {@code history} against the labels {@code present} on the cluster. */
  static FaultCheck against(FaultHistory history, Set<String> present) {
    Set<String> lost = new TreeSet<>(history.acknowledgedCreates());
    lost.removeAll(history.deletedOrMaybeDeleted());
    lost.removeAll(present);
    Set<String> undone = new TreeSet<>(history.acknowledgedDeletes());
    undone.retainAll(present);
    Set<String> refusedButApplied = new TreeSet<>(history.refusedCreates());
    refusedButApplied.retainAll(present);
    return new FaultCheck(lost, undone, refusedButApplied);
  }

  @Override
  public String toString() {
    return "lost " + lost + "\nundone " + undone + "\nrefused but applied " + refusedButApplied;
  }
}
