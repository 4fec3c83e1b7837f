package dev.keyring.provider.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** How many operations of each kind this provider has had the cluster carry out. */
public final class OperationCounters {
  /** The kinds of operation counted. */
  public enum Kind {
    SIGN,
    VERIFY,
    ENCRYPT,
    DECRYPT,
    WRAP,
    UNWRAP,
    MAC,
    DERIVE,
    GENERATE,
    IMPORT,
    RANDOM
  }

  private final Map<Kind, LongAdder> counts = new EnumMap<>(Kind.class);

  public OperationCounters() {
    for (Kind k : Kind.values()) {
      counts.put(k, new LongAdder());
    }
  }

  void add(Kind kind) {
    counts.get(kind).increment();
  }

  public long get(Kind kind) {
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
