package dev.keyring.client.internal.routing;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The selection rule, pure logic over a member set:
 *
 * <ol>
 *   <li>Candidates are the members that are up and not excluded (already tried by this call); for a
 *       write, only those that are not read-only.
 *   <li>If any candidate is in the preferred affinity group, only those are considered: other
 *       groups serve only when no member of the preferred group can (the whole group is down, or
 *       for a write, none of it accepts writes). With no preferred group every candidate counts.
 *   <li>Among them, the one with the fewest outstanding requests; a tie is broken round robin.
 * </ol>
 *
 * The primary is chosen by its mark in the view alone ({@link #primary}): what only the primary may
 * answer goes there whatever its group and load.
 *
 * <p>Thread-safe: the only state is the round-robin counter.
 */
public final class AffinityRouter {
  private final AtomicInteger turn = new AtomicInteger();

  /**
   * The member the view names primary, if it is up and not excluded; null otherwise.
   *
   * @param members every member known
   * @param excluded members this call already tried
   */
  public <T extends RouteCandidate> T primary(List<T> members, Collection<? super T> excluded) {
    for (T m : members) {
      if (m.primary() && m.up() && !excluded.contains(m)) {
        return m;
      }
    }
    return null;
  }

  /**
   * The member to send a call to, or null when none fits.
   *
   * @param members every member known
   * @param preferredGroup the affinity group to prefer, or null for none
   * @param write whether the call changes the cluster's objects
   * @param excluded members this call already tried
   */
  public <T extends RouteCandidate> T select(
      List<T> members, String preferredGroup, boolean write, Collection<? super T> excluded) {
    Objects.requireNonNull(members, "members");
    Objects.requireNonNull(excluded, "excluded");
    // one array per call and no lists: this runs for every call of the client
    boolean any = false;
    boolean inGroupOnly = false;
    for (T m : members) {
      if (fits(m, write, excluded)) {
        any = true;
        if (preferredGroup != null && preferredGroup.equals(m.group())) {
          inGroupOnly = true;
          break;
        }
      }
    }
    if (!any) {
      return null;
    }
    int size = members.size();
    long[] loads = new long[size]; // Long.MAX_VALUE: not in the pool
    long least = Long.MAX_VALUE;
    for (int i = 0; i < size; i++) {
      T m = members.get(i);
      loads[i] = Long.MAX_VALUE;
      if (fits(m, write, excluded) && (!inGroupOnly || preferredGroup.equals(m.group()))) {
        loads[i] = m.outstanding(); // read once: it moves under concurrent calls
        least = Math.min(least, loads[i]);
      }
    }
    int tied = 0;
    for (long load : loads) {
      if (load == least) {
        tied++;
      }
    }
    int k = Math.floorMod(turn.getAndIncrement(), tied);
    for (int i = 0; i < size; i++) {
      if (loads[i] == least && k-- == 0) {
        return members.get(i);
      }
    }
    throw new IllegalStateException("no tied member left: " + tied);
  }

  private static <T extends RouteCandidate> boolean fits(
      T m, boolean write, Collection<? super T> excluded) {
    return m.up() && !excluded.contains(m) && !(write && m.readOnly());
  }
}
