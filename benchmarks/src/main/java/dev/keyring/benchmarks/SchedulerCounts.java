package dev.keyring.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * What the Linux scheduler did to this JVM's threads: moves between processors (migrations) and
 * switches off a processor (voluntary: the thread slept; involuntary: it was preempted), summed
 * over the threads alive now, from {@code /proc/self/task/<tid>/sched}. On two processors the
 * two-thread rows move by 15-20 % with where the threads run (docs/crypto-channel.md, "Two-thread
 * rows against the floor, and where the threads run"), so {@link ProviderSignBenchmark} prints
 * these counts per measured second next to each trial's score, to tell runs apart. Threads that
 * ended between two readings take their counts with them; the benchmark's threads live through a
 * trial.
 *
 * @param migrations {@code se.nr_migrations}
 * @param voluntary {@code nr_voluntary_switches}
 * @param involuntary {@code nr_involuntary_switches}
 */
record SchedulerCounts(long migrations, long voluntary, long involuntary) {
  private static final Path TASKS = Paths.get("/proc/self/task");

  /** Nothing counted: where {@code /proc/self/task} cannot be read (not Linux). */
  static final SchedulerCounts NONE = new SchedulerCounts(0, 0, 0);

  /** Whether the counts can be read here. */
  static boolean available() {
    return Files.isDirectory(TASKS);
  }

  /** The counts of every thread of this JVM now; {@link #NONE} where they cannot be read. */
  static SchedulerCounts now() {
    if (!available()) {
      return NONE;
    }
    SchedulerCounts sum = NONE;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
      for (Path t : tasks) {
        try {
          sum = sum.plus(parse(Files.readString(t.resolve("sched"))));
        } catch (IOException ended) {
          // the thread ended while the tasks were listed
        }
      }
    } catch (IOException e) {
      return NONE;
    }
    return sum;
  }

  /** The counts of one thread's {@code sched} text; a line missing counts 0. */
  static SchedulerCounts parse(String sched) {
    long migrations = 0;
    long voluntary = 0;
    long involuntary = 0;
    for (String line : sched.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      switch (key) {
        case "se.nr_migrations":
          migrations = Long.parseLong(value);
          break;
        case "nr_voluntary_switches":
          voluntary = Long.parseLong(value);
          break;
        case "nr_involuntary_switches":
          involuntary = Long.parseLong(value);
          break;
        default:
          break;
      }
    }
    return new SchedulerCounts(migrations, voluntary, involuntary);
  }

  SchedulerCounts plus(SchedulerCounts o) {
    return new SchedulerCounts(
        migrations + o.migrations, voluntary + o.voluntary, involuntary + o.involuntary);
  }

  SchedulerCounts minus(SchedulerCounts o) {
    return new SchedulerCounts(
        migrations - o.migrations, voluntary - o.voluntary, involuntary - o.involuntary);
  }

  /** One line for the benchmark's output: these counts over {@code seconds}, per second. */
  String perSecond(double seconds) {
    return String.format(
        "%,.0f migrations/s, %,.0f voluntary and %,.0f involuntary switches/s",
        migrations / seconds, voluntary / seconds, involuntary / seconds);
  }
}
