package dev.keyring.sim;

import dev.keyring.store.ReplicatedWriter;
import dev.keyring.store.StoreTransaction;
import java.util.Objects;
import java.util.function.Function;

/** A writer whose target can change while the appliance runs (cluster service started, left). */
final class SwitchableWriter implements ReplicatedWriter {
  private volatile ReplicatedWriter target;

  SwitchableWriter(ReplicatedWriter target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  void target(ReplicatedWriter next) {
    this.target = Objects.requireNonNull(next, "target");
  }

  @Override
  public <T> T write(Function<StoreTransaction, T> work) {
    return target.write(work);
  }
}
