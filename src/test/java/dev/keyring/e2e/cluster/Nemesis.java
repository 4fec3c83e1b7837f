package dev.keyring.e2e.cluster;

import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.MemberProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The seeded nemesis of a randomized fault run. Each step picks one fault, holds it for 1 to 5
 * seconds and heals it, then lets the cluster run quietly for 1 to 3 seconds: kill -9 and restart,
 * SIGSTOP and SIGCONT, a cut member link, an isolated member, a cut client link, the operator's
 * promotion of a member, and (while at least two members would remain) the primary made unreachable
 * and deleted from another member as the documentation says. A deleted member is stopped for good.
 * The same seed gives the same choices.
 */
final class Nemesis {
  private static final Duration VISIBLE_WAIT = Duration.ofSeconds(20);

  private final ClusterHarness h;
  private final int n;
  private final Random random;
  private final FaultHistory history;
  private final Set<Integer> removed = new HashSet<>();
  private final List<String> log = new ArrayList<>();
  private final Map<String, Integer> kinds = new TreeMap<>();

  Nemesis(ClusterHarness h, int n, long seed, FaultHistory history) {
    this.h = h;
    this.n = n;
    this.random = new Random(seed);
    this.history = history;
  }

  int faults() {
    return kinds.values().stream().mapToInt(Integer::intValue).sum();
  }

  Map<String, Integer> kinds() {
    return kinds;
  }

  String log() {
    return String.join("\n", log);
  }

  private void note(String kind, String what) {
    kinds.merge(kind, 1, Integer::sum);
    log.add(String.format("%7d nemesis %s", history.now(), what));
  }

  private List<Integer> members() {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (!removed.contains(i)) {
        out.add(i);
      }
    }
    return out;
  }

  private int pick(List<Integer> from) {
    return from.get(random.nextInt(from.size()));
  }

  private long hold() {
    return 1_000 + random.nextInt(4_000);
  }

  void step() throws Exception {
    List<Integer> m = members();
    int action = random.nextInt(7);
    long hold = hold();
    switch (action) {
      case 0 -> {
        int i = pick(m);
        note("kill", "kill -9 member " + i + ", restart after " + hold + " ms");
        h.member(i).kill();
        Thread.sleep(hold);
        h.member(i).restart();
      }
      case 1 -> {
        int i = pick(m);
        note("pause", "SIGSTOP member " + i + " for " + hold + " ms");
        h.member(i).pause();
        Thread.sleep(hold);
        h.member(i).resume();
      }
      case 2 -> {
        int a = pick(m);
        int b = pick(m);
        if (a == b) {
          return;
        }
        note("cut", "cut members " + a + " and " + b + " for " + hold + " ms");
        h.cut(a, b);
        Thread.sleep(hold);
        h.link(a, b).restore();
        h.link(b, a).restore();
      }
      case 3 -> {
        int i = pick(m);
        note("isolate", "isolate member " + i + " from the members for " + hold + " ms");
        h.isolate(i);
        Thread.sleep(hold);
        h.healAll();
      }
      case 4 -> {
        int i = pick(m);
        note("client-cut", "cut the clients' link to member " + i + " for " + hold + " ms");
        h.clientLink(i).cut();
        Thread.sleep(hold);
        h.clientLink(i).restore();
      }
      case 5 -> promote(m);
      default -> deletePrimary(m, hold);
    }
    Thread.sleep(1_000 + random.nextInt(2_000));
  }

  /** Promotes a member, through another, as an operator would (refused when it is read-only). */
  private void promote(List<Integer> m) {
    int target = pick(m);
    int via = pick(m);
    MemberProcess.SimRun r =
        h.member(via)
            .sim("cluster", "member", "config", "-memberid", h.localMemberId(target), "-primary");
    note("promote", "promote member " + target + " through " + via + ": exit " + r.exit());
  }

  /**
   * Makes the primary unreachable (paused, isolated or killed) and deletes it from another member,
   * then stops it for good; skipped when fewer than two members would remain.
   */
  private void deletePrimary(List<Integer> m, long hold) throws Exception {
    if (m.size() < 3) {
      return; // two members must remain
    }
    int p = primary(m);
    if (p < 0) {
      return;
    }
    int via = m.stream().filter(i -> i != p).findFirst().orElseThrow();
    int how = random.nextInt(3);
    String id = h.localMemberId(p);
    switch (how) {
      case 0 -> h.member(p).pause();
      case 1 -> h.isolate(p);
      default -> h.member(p).kill();
    }
    String what = new String[] {"paused", "isolated", "killed"}[how];
    boolean unseen;
    try {
      ClusterHarness.await(
          "the primary not visible to member " + via,
          VISIBLE_WAIT,
          () ->
              h.memberList(via).lines().anyMatch(l -> l.matches("^[ P][ *]x.*") && l.contains(id)));
      unseen = true;
    } catch (IllegalStateException e) {
      unseen = false;
    }
    MemberProcess.SimRun r =
        unseen
            ? h.member(via)
                .sim(
                    "cluster",
                    "member",
                    "delete",
                    "-memberid",
                    id,
                    "-copassword",
                    ClusterHarness.CO)
            : null;
    boolean deleted = r != null && r.exit() == 0;
    note(
        "delete-primary",
        "primary member "
            + p
            + " "
            + what
            + ", deleted from member "
            + via
            + ": "
            + (deleted ? "done" : r == null ? "still visible" : "refused: " + r.err().trim()));
    if (how == 0) {
      h.member(p).resume();
    } else if (how == 1) {
      h.healAll();
    }
    if (deleted) {
      Thread.sleep(hold);
      if (h.member(p).isAlive()) {
        h.member(p).kill();
      }
      removed.add(p);
    } else if (how == 2) {
      h.member(p).restart();
    }
  }

  /** The member that says it is the primary, or -1. */
  private int primary(List<Integer> m) {
    for (int i : m) {
      if (!h.member(i).isAlive()) {
        continue;
      }
      if (h.memberList(i).lines().anyMatch(l -> l.startsWith("P*"))) {
        return i;
      }
    }
    return -1;
  }

  /** Every fault healed: paused members resumed, links restored, killed members restarted. */
  void healEverything() throws Exception {
    h.healAll();
    for (int i : members()) {
      if (!h.member(i).isAlive()) {
        h.member(i).restart();
      }
    }
    log.add(String.format("%7d nemesis healed everything", history.now()));
  }
}
