package dev.keyring.sim.cluster;

import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import dev.keyring.store.StoreTransaction;
import dev.keyring.testing.FakeTicker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Cluster services of several members in one process: each with its own H2 store in a temporary
 * directory, connected by {@link InProcessPeers}, reading one {@link FakeTicker}. Nothing runs in
 * the background: a test makes a follower poll ({@link ClusterNode#pollPrimary}) or a member probe
 * ({@link ClusterNode#probePeers}) when it wants. Member 0 is the first primary; the others joined
 * it the way a joiner does (added to the membership, then the primary's state copied).
 */
final class InProcessCluster implements AutoCloseable {
  final FakeTicker ticker = new FakeTicker();
  final InProcessPeers.Network network = new InProcessPeers.Network();
  final UUID clusterId = UUID.randomUUID();

  private final List<KeyringStore> stores = new ArrayList<>();
  private final List<ClusterNode> nodes = new ArrayList<>();
  private final List<RecordingListener> listeners = new ArrayList<>();

  /** What the boundary's cache would have been told. */
  static final class RecordingListener implements AppliedEntryListener {
    final List<UUID> keyrings = new CopyOnWriteArrayList<>();
    final List<String> objects = new CopyOnWriteArrayList<>();
    final List<String> values = new CopyOnWriteArrayList<>();
    // for each cluster value told, whether this member's log already counted its entry as held
    final List<Boolean> heldWhenTold = new CopyOnWriteArrayList<>();
    volatile ClusterNode node;
    volatile int replaced;

    @Override
    public void clusterValueChanged(String name) {
      values.add(name);
      ClusterNode n = node;
      if (n != null && !n.isPrimary()) {
        // the entry is in the store: does the log signal already say this member holds it?
        heldWhenTold.add(n.awaitPosition(n.position().sequence(), java.time.Duration.ZERO));
      }
    }

    @Override
    public void stateReplaced() {
      replaced++;
    }

    @Override
    public void objectChanged(UUID keyringId, long handle) {
      objects.add(keyringId + "/" + handle);
    }

    @Override
    public void keyringChanged(UUID keyringId) {
      keyrings.add(keyringId);
    }
  }

  private final java.time.Duration majorityGrace;

  private InProcessCluster(java.time.Duration majorityGrace) {
    this.majorityGrace = majorityGrace;
  }

  static InProcessCluster start(Path dir, int members) {
    // the ticker moves by hand: a wait for a majority by it would never end
    return start(dir, members, java.time.Duration.ZERO);
  }

  /** {@link #start(Path, int)} whose primaries wait up to {@code majorityGrace} for a majority. */
  static InProcessCluster start(Path dir, int members, java.time.Duration majorityGrace) {
    InProcessCluster c = new InProcessCluster(majorityGrace);
    try {
      for (int i = 0; i < members; i++) {
        c.add(dir.resolve("member" + i), i);
      }
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  private void add(Path dir, int i) {
    KeyringStore store = KeyringStore.open(StoreConfig.h2File(dir));
    stores.add(store);
    NodeSettings settings =
        new NodeSettings(
                "member-" + i,
                "LNH-" + i,
                address(i),
                "127.0.0.1:" + (50070 + i),
                fingerprint(i),
                () -> false,
                "test",
                ticker)
            .withMajorityGrace(majorityGrace);
    InProcessPeers peers = new InProcessPeers(network, fingerprint(i));
    if (i == 0) {
      store.write(tx -> tx.createCluster(clusterId, "in-process"));
    } else {
      // the members so far acknowledge the addition: a majority of them must hold it
      CompletableFuture<Membership> added =
          CompletableFuture.supplyAsync(
              () ->
                  node(0)
                      .changeMembership(
                          m ->
                              m.next(
                                  list -> {
                                    list.add(settings.entry());
                                    return list;
                                  })));
      pumpUntil(added::isDone);
      added.join();
      ClusterNode.copyState(store, peers, address(0));
    }
    RecordingListener listener = new RecordingListener();
    ClusterNode node = ClusterNode.open(store, settings, peers, listener);
    listener.node = node;
    nodes.add(node);
    listeners.add(listener);
    network.nodes.put(address(i), node);
  }

  /**
   * Lets every follower poll the primary (member 0) until {@code done}: the way a test makes the
   * followers acknowledge what the primary waits for. A guard of 30 s of real time against a hang.
   */
  void pumpUntil(BooleanSupplier done) {
    int[] all = new int[nodes.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    pumpUntil(done, all);
  }

  /** {@link #pumpUntil(BooleanSupplier)} with only {@code members} polling (those not primary). */
  void pumpUntil(BooleanSupplier done, int... members) {
    long guard = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > guard) {
        throw new IllegalStateException("the followers never gave what the primary waits for");
      }
      for (int i : members) {
        if (network.down.contains(address(i)) || nodes.get(i).isPrimary()) {
          continue;
        }
        try {
          nodes.get(i).pollPrimary(0);
        } catch (java.io.IOException e) {
          throw new IllegalStateException(e);
        }
      }
      Thread.yield();
    }
  }

  static String address(int i) {
    return "127.0.0.1:" + (50052 + i);
  }

  static String fingerprint(int i) {
    return String.format("%064x", i + 1);
  }

  ClusterNode node(int i) {
    return nodes.get(i);
  }

  KeyringStore store(int i) {
    return stores.get(i);
  }

  RecordingListener listener(int i) {
    return listeners.get(i);
  }

  /** Writes the cluster value {@code name} through member {@code via}. */
  void put(int via, String name, String value) {
    node(via)
        .write(
            tx -> {
              tx.putClusterValue(name, value.getBytes(StandardCharsets.UTF_8));
              return null;
            });
  }

  /**
   * Writes the cluster value {@code name} through member {@code via} and lets {@code pollers} (all
   * followers when none are named) poll until the write is acknowledged.
   */
  void putAcknowledged(int via, String name, String value, int... pollers) {
    writeAcknowledged(
        via,
        tx -> {
          tx.putClusterValue(name, value.getBytes(StandardCharsets.UTF_8));
          return null;
        },
        pollers);
  }

  /** {@link #putAcknowledged} for any write. */
  <T> T writeAcknowledged(int via, Function<StoreTransaction, T> work, int... pollers) {
    boolean[] once = {false};
    BooleanSupplier polledOnce = () -> once[0] || !(once[0] = true);
    // one round first, so that the primary sees its followers live before the write starts
    if (pollers.length == 0) {
      pumpUntil(polledOnce);
    } else {
      pumpUntil(polledOnce, pollers);
    }
    CompletableFuture<T> w = CompletableFuture.supplyAsync(() -> node(via).write(work));
    if (pollers.length == 0) {
      pumpUntil(w::isDone);
    } else {
      pumpUntil(w::isDone, pollers);
    }
    return w.join();
  }

  /** The cluster value {@code name} as member {@code member} holds it. */
  Optional<String> value(int member, String name) {
    return store(member).clusterValue(name).map(b -> new String(b, StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    for (ClusterNode n : nodes) {
      n.close();
    }
    for (KeyringStore s : stores) {
      s.close();
    }
  }
}
