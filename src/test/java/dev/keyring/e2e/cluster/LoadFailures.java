package dev.keyring.e2e.cluster;

import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/** The first 200 failures a load saw, each with its root cause, summarized by kind for reports. */
final class LoadFailures {
  private final Queue<String> failures = new ConcurrentLinkedQueue<>();

  /** Notes that {@code what} failed with {@code e} (and its root cause). */
  void note(String what, Throwable e) {
    if (failures.size() < 200) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      failures.add(what + ": " + e + (root != e ? " <- " + root : ""));
    }
  }

  /**
   * The failures by kind: the first {@code keyLength} characters of each message, numbered labels
   * made alike, with their counts.
   */
  Map<String, Integer> summary(int keyLength) {
    Map<String, Integer> m = new TreeMap<>();
    for (String f : failures) {
      String key = f.length() > keyLength ? f.substring(0, keyLength) : f;
      key = key.replaceAll("-\\d+:", "-N:");
      m.merge(key, 1, Integer::sum);
    }
    return m;
  }

  @Override
  public String toString() {
    return failures.toString();
  }
}
