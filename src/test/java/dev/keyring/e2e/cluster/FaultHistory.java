package dev.keyring.e2e.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The history of a randomized fault run: every operation with its start, end and outcome. An
 * outcome is {@code OK} (acknowledged), {@code REFUSED} (the member said nothing was changed, or
 * the request never left the client) or {@code UNCERTAIN} (it may or may not have been applied).
 */
final class FaultHistory {
  enum Outcome {
    OK,
    REFUSED,
    UNCERTAIN
  }

  record Op(
      long id,
      int thread,
      String kind,
      String label,
      long startMillis,
      long endMillis,
      Outcome outcome,
      String detail) {
    @Override
    public String toString() {
      return String.format(
          "%6d t%d %-6s %-14s %7d..%7d %-9s %s",
          id, thread, kind, label, startMillis, endMillis, outcome, detail == null ? "" : detail);
    }
  }

  private final long origin = System.nanoTime();
  private final AtomicLong ids = new AtomicLong();
  private final List<Op> ops = new ArrayList<>();
  private final AtomicLong acknowledged = new AtomicLong();

  long now() {
    return (System.nanoTime() - origin) / 1_000_000;
  }

  void record(int thread, String kind, String label, long start, Outcome o, String detail) {
    Op op = new Op(ids.incrementAndGet(), thread, kind, label, start, now(), o, detail);
    if (o == Outcome.OK) {
      acknowledged.incrementAndGet();
    }
    synchronized (ops) {
      ops.add(op);
    }
  }

  private List<Op> snapshot() {
    synchronized (ops) {
      return new ArrayList<>(ops);
    }
  }

  int size() {
    return snapshot().size();
  }

  /** Operations acknowledged so far (cheap: for an {@link OutageWatch}). */
  long acknowledged() {
    return acknowledged.get();
  }

  /** Operations acknowledged that ended at or after {@code millis} (of {@link #now()}). */
  long acknowledgedSince(long millis) {
    return snapshot().stream()
        .filter(op -> op.outcome() == Outcome.OK && op.endMillis() >= millis)
        .count();
  }

  long count(Outcome o) {
    return snapshot().stream().filter(op -> op.outcome() == o).count();
  }

  private Set<String> labels(String kind, Set<Outcome> outcomes) {
    Set<String> out = new TreeSet<>();
    for (Op op : snapshot()) {
      if (op.kind().equals(kind) && outcomes.contains(op.outcome())) {
        out.add(op.label());
      }
    }
    return out;
  }

  Set<String> acknowledgedCreates() {
    return labels("create", Set.of(Outcome.OK));
  }

  Set<String> refusedCreates() {
    return labels("create", Set.of(Outcome.REFUSED));
  }

  Set<String> acknowledgedDeletes() {
    return labels("delete", Set.of(Outcome.OK));
  }

  Set<String> deletedOrMaybeDeleted() {
    return labels("delete", Set.of(Outcome.OK, Outcome.UNCERTAIN));
  }

  /** The operations on {@code label}, one a line. */
  String opsOn(String label) {
    StringBuilder sb = new StringBuilder();
    for (Op op : snapshot()) {
      if (op.label().equals(label)) {
        sb.append(op).append('\n');
      }
    }
    return sb.toString();
  }

  String dump() {
    StringBuilder sb = new StringBuilder();
    for (Op op : snapshot()) {
      sb.append(op).append('\n');
    }
    return sb.toString();
  }
}
