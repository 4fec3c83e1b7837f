package dev.keyring.sim.cluster;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Majorities. A write is acknowledged once a majority of the members that count for it hold it;
 * deleting an unrecoverable primary needs the votes of {@link #votesToReplace} members, so that the
 * old primary can no longer gather a majority and the new one holds every acknowledged entry.
 */
final class Quorum {
  private Quorum() {}

  /** The smallest majority of {@code members}. */
  static int majority(int members) {
    return members / 2 + 1;
  }

  /**
   * How many members other than the primary must vote to replace it, of {@code members} in all:
   * enough that the rest (the old primary included) fall short of a majority, which also makes
   * every majority of the old membership meet the voters in at least one member.
   */
  static int votesToReplace(int members) {
    return members - majority(members) + 1;
  }

  /**
   * The members whose acknowledgement counts for an entry: those in the membership both before and
   * after it. A member being added counts from the next entry on (it starts following after its
   * join completed); a member being removed counts no more.
   */
  static Set<String> counted(Collection<String> before, Collection<String> after) {
    Set<String> out = new LinkedHashSet<>(after);
    out.retainAll(before);
    return out;
  }
}
