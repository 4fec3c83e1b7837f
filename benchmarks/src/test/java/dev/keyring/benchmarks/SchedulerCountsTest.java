package dev.keyring.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link SchedulerCounts}: the lines of a thread's {@code sched} file, and the live counts. */
class SchedulerCountsTest {
  private static final String SCHED =
      "java (4242, #threads: 31)\n"
          + "-------------------------------------------------------------------\n"
          + "se.exec_start                                :      22230777.812434\n"
          + "se.nr_migrations                             :                   17\n"
          + "nr_switches                                  :                  120\n"
          + "nr_voluntary_switches                        :                  100\n"
          + "nr_involuntary_switches                      :                   20\n"
          + "current_node=0, numa_group_id=0\n";

  @Test
  void theThreeCounts_areReadFromTheirLines_andAddAndSubtract() {
    SchedulerCounts c = SchedulerCounts.parse(SCHED);
    assertEquals(new SchedulerCounts(17, 100, 20), c);
    assertEquals(new SchedulerCounts(34, 200, 40), c.plus(c));
    assertEquals(SchedulerCounts.NONE, c.minus(c));
    assertEquals(SchedulerCounts.NONE, SchedulerCounts.parse("no counts here\n"));
    assertEquals(
        "9 migrations/s, 50 voluntary and 10 involuntary switches/s",
        new SchedulerCounts(18, 100, 20).perSecond(2.0));
  }

  @Test
  void onLinux_aThreadThatSlept_hasOneVoluntarySwitchMore() throws Exception {
    assertTrue(
        SchedulerCounts.available(),
        "these counts need Linux's /proc/self/task; the build and CI run on Linux");
    Path own = Path.of("/proc/thread-self/sched");
    SchedulerCounts before = SchedulerCounts.parse(Files.readString(own));
    Thread.sleep(5);
    SchedulerCounts after = SchedulerCounts.parse(Files.readString(own));
    assertTrue(after.voluntary() >= before.voluntary() + 1, before + " -> " + after);
    assertTrue(SchedulerCounts.now().voluntary() >= after.voluntary(), "every thread's, summed");
  }
}
