package dev.keyring.provider.internal;

import dev.keyring.provider.api.ProviderOperation;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** How many operations of each kind this provider has had the cluster carry out. */
public final class OperationCounters {
  private final Map<ProviderOperation, LongAdder> counts = new EnumMap<>(ProviderOperation.class);

  public OperationCounters() {
    for (ProviderOperation k : ProviderOperation.values()) {
      counts.put(k, new LongAdder());
    }
  }

  void add(ProviderOperation kind) {
    counts.get(kind).increment();
  }

  public long get(ProviderOperation kind) {
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
