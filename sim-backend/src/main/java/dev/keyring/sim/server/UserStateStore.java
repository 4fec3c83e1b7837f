package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ReplicatedWriter;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * Where the appliance users are kept. Outside a cluster: the member's own {@code hsm_state} row
 * {@value #KEY}. In a cluster: the cluster value of the same name, written through the cluster's
 * replicated write path, so a user created, changed or deleted through any member is so on every
 * member; until the first change the member's own row stands for it. Leaving the cluster (or a
 * factory reset of the cluster service) keeps the cluster's users as the member's own ({@link
 * #keepLocally()}).
 */
final class UserStateStore {
  static final String KEY = "appliance.users";

  private final KeyringStore store;
  private final ReplicatedWriter writer;
  private final BooleanSupplier replicating;

  /**
   * @param writer the appliance's replicated writer
   * @param replicating whether the member's cluster service runs (writes in a cluster need it)
   */
  UserStateStore(KeyringStore store, ReplicatedWriter writer, BooleanSupplier replicating) {
    this.store = store;
    this.writer = writer;
    this.replicating = replicating;
  }

  /** The users as stored: the cluster's when this member is in one and it holds them. */
  Optional<byte[]> load() {
    if (store.cluster().isPresent()) {
      Optional<byte[]> shared = store.clusterValue(KEY);
      if (shared.isPresent()) {
        return shared;
      }
    }
    return store.hsmState(KEY);
  }

  /** Whether this member is in a cluster that holds no users yet (its own stand for them). */
  boolean clusterLacksUsers() {
    return store.cluster().isPresent() && store.clusterValue(KEY).isEmpty();
  }

  /**
   * Applies {@code change} to the freshest stored users (in a cluster, inside the replicated write,
   * so concurrent changes through other members are never lost) and stores the result.
   *
   * @return the users as stored
   */
  byte[] update(UnaryOperator<byte[]> change) {
    if (store.cluster().isEmpty()) {
      byte[] next = change.apply(store.hsmState(KEY).orElse(null));
      store.write(
          tx -> {
            tx.putHsmState(KEY, next);
            return null;
          });
      return next;
    }
    if (!replicating.getAsBoolean()) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "the appliance users are cluster state: start the cluster service to change them");
    }
    return writer.write(
        tx -> {
          byte[] current =
              tx.lockClusterValue(KEY).orElseGet(() -> store.hsmState(KEY).orElse(null));
          byte[] next = change.apply(current);
          tx.putClusterValue(KEY, next);
          return next;
        });
  }

  /** Writes the member's own row only (first start). */
  void saveLocally(byte[] users) {
    store.write(
        tx -> {
          tx.putHsmState(KEY, users);
          return null;
        });
  }

  /** Keeps the cluster's users as the member's own (before it forgets the cluster). */
  void keepLocally() {
    Optional<byte[]> shared =
        store.cluster().isPresent() ? store.clusterValue(KEY) : Optional.empty();
    shared.ifPresent(this::saveLocally);
  }
}
