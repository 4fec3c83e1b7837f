package dev.keyring.testing.leak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.testing.junit.FixtureRun;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The session-leak check run on fixture test classes (nested, so the build does not run them on
 * their own) through the JUnit launcher, with members faked by their session counts.
 */
class SessionLeakCheckTest {
  /** The open sessions of the fixtures' fake member. */
  static final AtomicInteger OPEN = new AtomicInteger();

  private static String firstFailure(TestExecutionSummary s) {
    return s.getFailures().get(0).getException().getMessage();
  }

  @ExtendWith(SessionLeakCheck.class)
  static class MemberStoppedWithASessionOpen {
    @Test
    void leaves() {
      SessionLeaks.Watch member = SessionLeaks.watch("fake member", OPEN::get);
      OPEN.set(1); // a session the test never closed
      member.close(); // the member stops
      OPEN.set(0); // stopping ended it
    }
  }

  @Test
  void aSessionOpenWhenTheMemberStops_failsTheTest() {
    TestExecutionSummary s = FixtureRun.run(MemberStoppedWithASessionOpen.class);
    assertEquals(1, s.getTestsFailedCount());
    assertTrue(
        firstFailure(s).contains("1 crypto session(s) open on fake member"), firstFailure(s));
  }

  @ExtendWith(SessionLeakCheck.class)
  static class MemberStoppedClean {
    @Test
    void closesItsSession() {
      SessionLeaks.Watch member = SessionLeaks.watch("fake member", OPEN::get);
      OPEN.set(1);
      OPEN.set(0); // the client closed its session
      member.close();
    }
  }

  @Test
  void noSessionOpenWhenTheMemberStops_passes() {
    TestExecutionSummary s = FixtureRun.run(MemberStoppedClean.class);
    assertEquals(1, s.getTestsSucceededCount());
    assertEquals(0, s.getTotalFailureCount());
  }

  @ExtendWith(SessionLeakCheck.class)
  static class MemberStillRunning {
    @Test
    void leaves() {
      SessionLeaks.watch("running member", OPEN::get);
      OPEN.set(2);
    }
  }

  @Test
  void aMemberStillRunningAtTheEnd_isReadThen() {
    TestExecutionSummary s = FixtureRun.run(MemberStillRunning.class);
    OPEN.set(0);
    assertEquals(1, s.getTestsFailedCount());
    assertTrue(firstFailure(s).contains("2 crypto session(s) open on running member"));
  }

  @ExtendWith(SessionLeakCheck.class)
  static class MemberKilled {
    @Test
    void killsIt() {
      SessionLeaks.watch("killed member", () -> -1);
    }
  }

  @Test
  void aMemberThatIsDown_givesNoReading_andNoFailure() {
    TestExecutionSummary s = FixtureRun.run(MemberKilled.class);
    assertEquals(1, s.getTestsSucceededCount());
    assertEquals(0, s.getTotalFailureCount());
  }

  @ExtendWith(SessionLeakCheck.class)
  static class ClassMemberLeaking {
    static SessionLeaks.Watch member;

    @BeforeAll
    static void start() {
      member = SessionLeaks.watch("class member", OPEN::get);
    }

    @Test
    void opensASessionItKeepsForTheClass() {
      OPEN.set(1); // open between the class's tests: no leak yet
    }

    @AfterAll
    static void stop() {
      member.close(); // stopped without closing that session
      OPEN.set(0);
    }
  }

  @Test
  void aClassLevelMember_isJudgedWhenTheClassEnds() {
    TestExecutionSummary s = FixtureRun.run(ClassMemberLeaking.class);
    assertEquals(1, s.getTestsSucceededCount(), "the test itself passes");
    assertEquals(1, s.getTotalFailureCount(), "the class fails");
    assertTrue(firstFailure(s).contains("1 crypto session(s) open on class member"));
  }
}
