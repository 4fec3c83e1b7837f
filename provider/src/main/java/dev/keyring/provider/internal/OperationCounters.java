package dev.keyring.provider.internal;

import dev.keyring.provider.KeyringProvider.Operation;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** How many operations of each kind this provider has had the cluster carry out. */
public final class OperationCounters {
  private final Map<Operation, LongAdder> counts = new EnumMap<>(Operation.class);

  public OperationCounters() {
    for (Operation k : Operation.values()) {
      counts.put(k, new LongAdder());
    }
  }

  void add(Operation kind) {
    counts.get(kind).increment();
  }

  public long get(Operation kind) {
    return counts.get(kind).sum();
  }

  public long total() {
    long t = 0;
    for (LongAdder a : counts.values()) {
      t += a.sum();
    }
    return t;
  }
}
