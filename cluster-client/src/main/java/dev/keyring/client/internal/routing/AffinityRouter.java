package dev.keyring.client.internal.routing;

import java.util.ArrayList;
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
    List<T> candidates = new ArrayList<>();
    List<T> tied = new ArrayList<>();
    for (T m : members) {
      if (m.up() && !excluded.contains(m) && !(write && m.readOnly())) {
        candidates.add(m);
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    List<T> pool = candidates;
    if (preferredGroup != null) {
      List<T> inGroup = new ArrayList<>();
      for (T m : candidates) {
        if (preferredGroup.equals(m.group())) {
          inGroup.add(m);
        }
      }
      if (!inGroup.isEmpty()) {
        pool = inGroup;
      }
    }
    int least = Integer.MAX_VALUE;
    List<Integer> loads = new ArrayList<>(pool.size());
    for (T m : pool) {
      int load = m.outstanding(); // read once: it moves under concurrent calls
      loads.add(load);
      least = Math.min(least, load);
    }
    for (int i = 0; i < pool.size(); i++) {
      if (loads.get(i) == least) {
        tied.add(pool.get(i));
      }
    }
    int n = tied.size();
    return tied.get(Math.floorMod(turn.getAndIncrement(), n));
  }
}
