package dev.keyring.client.internal.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The selection rule over a fake member set: pure logic, no network, no clock. */
class AffinityRouterTest {
  /** A member whose state the test sets. */
  static final class FakeMember implements RouteCandidate {
    final String name;
    final String group;
    boolean readOnly;
    boolean up = true;
    int outstanding;

    FakeMember(String name, String group) {
      this.name = name;
      this.group = group;
    }

    FakeMember load(int n) {
      outstanding = n;
      return this;
    }

    FakeMember refusingWrites() {
      readOnly = true;
      return this;
    }

    FakeMember down() {
      up = false;
      return this;
    }

    @Override
    public String group() {
      return group;
    }

    @Override
    public boolean readOnly() {
      return readOnly;
    }

    @Override
    public boolean up() {
      return up;
    }

    @Override
    public int outstanding() {
      return outstanding;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private final AffinityRouter rule = new AffinityRouter();

  @Test
  void read_goesToTheMemberWithFewestOutstandingRequests() {
    FakeMember a = new FakeMember("a", "local").load(3);
    FakeMember b = new FakeMember("b", "local").load(1);
    FakeMember c = new FakeMember("c", "local").load(2);
    for (int i = 0; i < 5; i++) {
      assertSame(b, rule.select(List.of(a, b, c), "local", false, Set.of()));
    }
  }

  @Test
  void tiesOnOutstanding_areBrokenRoundRobin() {
    FakeMember a = new FakeMember("a", "local");
    FakeMember b = new FakeMember("b", "local");
    FakeMember c = new FakeMember("c", "local").load(1);
    Map<String, Integer> picks = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      picks.merge(rule.select(List.of(a, b, c), "local", false, Set.of()).name, 1, Integer::sum);
    }
    assertEquals(Map.of("a", 5, "b", 5), picks, "a and b alternate; c (busier) is never picked");
  }

  @Test
  void preferredGroup_winsEvenWhenAnotherGroupIsIdle() {
    FakeMember near = new FakeMember("near", "east").load(7);
    FakeMember far = new FakeMember("far", "west");
    assertSame(near, rule.select(List.of(far, near), "east", false, Set.of()));
  }

  @Test
  void otherGroups_serveOnlyWhenTheWholePreferredGroupIsDown() {
    FakeMember e1 = new FakeMember("e1", "east").down();
    FakeMember e2 = new FakeMember("e2", "east").load(50);
    FakeMember w1 = new FakeMember("w1", "west");
    FakeMember w2 = new FakeMember("w2", "west").load(1);
    List<FakeMember> all = List.of(e1, e2, w1, w2);
    assertSame(e2, rule.select(all, "east", false, Set.of()), "one east member still up");
    e2.down();
    assertSame(w1, rule.select(all, "east", false, Set.of()), "east down: least-loaded west");
    e1.up = true;
    assertSame(e1, rule.select(all, "east", false, Set.of()), "back to east once it recovers");
  }

  @Test
  void membersAlreadyTriedByTheCall_areSkipped_thenOtherGroupsServe() {
    FakeMember e1 = new FakeMember("e1", "east");
    FakeMember w1 = new FakeMember("w1", "west");
    List<FakeMember> all = List.of(e1, w1);
    List<FakeMember> tried = new ArrayList<>();
    tried.add(rule.select(all, "east", false, tried));
    tried.add(rule.select(all, "east", false, tried));
    assertEquals(List.of(e1, w1), tried);
    assertNull(rule.select(all, "east", false, tried));
  }

  @Test
  void noPreferredGroup_spreadsOverEveryLiveMember() {
    FakeMember a = new FakeMember("a", "east");
    FakeMember b = new FakeMember("b", "west");
    Map<String, Integer> picks = new TreeMap<>();
    for (int i = 0; i < 4; i++) {
      picks.merge(rule.select(List.of(a, b), null, false, Set.of()).name, 1, Integer::sum);
    }
    assertEquals(Map.of("a", 2, "b", 2), picks);
  }

  @Test
  void write_goesOnlyToReadWriteMembers_preferringTheGroup() {
    FakeMember e1 = new FakeMember("e1", "east").refusingWrites();
    FakeMember e2 = new FakeMember("e2", "east").load(4);
    FakeMember w1 = new FakeMember("w1", "west");
    List<FakeMember> all = List.of(e1, e2, w1);
    assertSame(e2, rule.select(all, "east", true, Set.of()), "the read-write east member");
    assertSame(e1, rule.select(all, "east", false, Set.of()), "reads still use e1 (idle)");
    e2.refusingWrites();
    assertSame(w1, rule.select(all, "east", true, Set.of()), "no east member takes writes");
  }

  @Test
  void write_withNoReadWriteMember_findsNone() {
    FakeMember a = new FakeMember("a", "local").refusingWrites();
    FakeMember b = new FakeMember("b", "local").refusingWrites();
    FakeMember c = new FakeMember("c", "other").down();
    assertNull(rule.select(List.of(a, b, c), "local", true, Set.of()));
    assertSame(a, rule.select(List.of(a, b, c), "local", false, Set.of()), "reads still served");
  }

  @Test
  void everyMemberDown_findsNone() {
    FakeMember a = new FakeMember("a", "local").down();
    assertNull(rule.select(List.of(a), "local", false, Set.of()));
    assertNull(rule.select(List.of(), "local", false, Set.of()));
  }
}
