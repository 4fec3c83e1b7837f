package dev.keyring.client.ha;

import java.util.List;

/**
 * What {@code synchronize} did: how many clones it made, and the objects it found in different
 * versions on different members, which it reports and leaves as they are.
 *
 * @param cloned how many objects were cloned onto members that lacked them
 * @param conflicts one line per object held in different versions: its id, label and the members
 *     that differ, and which attributes
 */
public record HaSynchronization(int cloned, List<String> conflicts) {
  /** Copies the list. */
  public HaSynchronization {
    conflicts = List.copyOf(conflicts);
  }
}
