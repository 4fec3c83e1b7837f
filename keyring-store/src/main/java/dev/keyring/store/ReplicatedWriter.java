package dev.keyring.store;

import java.util.function.Function;

/**
 * Where the writes of replicated data (keyrings, objects, cluster values) go. On a standalone
 * member they are written locally as the primary; in a cluster the member's cluster service orders
 * them through the primary and returns once every live member holds them. Member-local state
 * ({@code hsm_state}) is never written through it.
 */
public interface ReplicatedWriter {

  /**
   * Runs {@code work} as one replicated write. {@code work} may run more than once (after a
   * conflict with a concurrent write, or a transient database failure), so it must not have side
   * effects outside the transaction.
   */
  <T> T write(Function<StoreTransaction, T> work);

  /** Writes as the primary of {@code store}'s own log: every write is appended locally. */
  static ReplicatedWriter local(KeyringStore store) {
    return new ReplicatedWriter() {
      @Override
      public <T> T write(Function<StoreTransaction, T> work) {
        long epoch = Math.max(1, store.position().epoch());
        return store.writeAsPrimary(epoch, work).result();
      }
    };
  }
}
