package dev.keyring.benchmarks;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.cluster.AppliedEntryListener;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.NodeSettings;
import dev.keyring.sim.cluster.PeerMessages;
import dev.keyring.sim.cluster.PeerTransport;
import dev.keyring.store.FileCompaction;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.LogCodec;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * How big a member's store grows under writes that leave the live state as it was: a data object
 * created and destroyed, {@code writes} times (a create and a delete are two writes), through the
 * cluster service of a one-member cluster on an H2 file. Run twice in one process, once with the
 * cluster service started (it compacts its log every 2 s) and once without (the log is kept whole,
 * as before compaction existed); each is compared with a fresh store holding only the live state,
 * before and after one pass of the store's file compaction at rest ({@link
 * KeyringStore#compactFile()}; an open H2 store runs time-bounded passes every 30 s by itself,
 * {@link KeyringStore#compactFileIfGrown()}, which the log on standard error shows).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.keyring.benchmarks.LogGrowthMain
 * [writes]} (default 100,000). It prints a Markdown table.
 */
public final class LogGrowthMain {
  private LogGrowthMain() {}

  public static void main(String[] args) throws Exception {
    int writes = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path dir = Files.createTempDirectory("keyring-log-growth");
    System.out.println(
        "| log | writes | store file, open | after a compaction pass at rest | log entries kept |"
            + " live state alone | ratio before | ratio after |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (boolean compact : new boolean[] {false, true}) {
      run(dir.resolve(compact ? "compacted" : "whole"), writes, compact);
    }
  }

  private static void run(Path dir, int writes, boolean compact) throws Exception {
    KeyringStore store = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")));
    UUID cluster = UUID.randomUUID();
    store.write(tx -> tx.createCluster(cluster, "growth"));
    NodeSettings settings =
        new NodeSettings(
            "member-1",
            "LNH-1",
            "127.0.0.1:1",
            "127.0.0.1:2",
            "00".repeat(32),
            () -> false,
            "bench",
            Ticker.SYSTEM);
    long t0 = System.nanoTime();
    int entries;
    long size;
    long compacted;
    FileCompaction pass;
    try (ClusterNode node = ClusterNode.open(store, settings, new NoPeers(), new NoCache())) {
      if (compact) {
        node.start();
      }
      UUID k = UUID.randomUUID();
      KeyringRecord ring =
          new KeyringRecord(
              k, cluster, "ring", "verifier", true, false, false, 0, Instant.now(), 1);
      node.write(tx -> tx.createKeyrings(cluster, List.of(ring)));
      for (int i = 0; i < writes / 2; i++) {
        String label = "object-" + i;
        ObjectRecord o =
            node.write(
                tx ->
                    tx.insertObject(
                        k,
                        UUID.randomUUID(),
                        ObjectClass.DATA,
                        Attributes.builder().objectClass(ObjectClass.DATA).label(label).build(),
                        null));
        node.write(tx -> tx.deleteObject(k, o.handle()));
        if (i % 10_000 == 0 && i > 0) {
          System.err.printf("%s: %,d writes%n", dir.getFileName(), 2L * i);
        }
      }
      if (compact) {
        Thread.sleep(Duration.ofSeconds(5).toMillis()); // two compaction rounds
      }
      entries = store.entriesAfter(0, Integer.MAX_VALUE).size();
      // at rest, its cluster service still running
      size = sizeOf(dir.resolve("store"));
      pass = store.compactFile(); // a pass without its time bound
      compacted = sizeOf(dir.resolve("store"));
    }
    store.close();
    // the same live state in a fresh store
    KeyringStore source = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")));
    KeyringStore fresh = KeyringStore.open(StoreConfig.h2File(dir.resolve("fresh")));
    fresh.installSnapshot(LogCodec.decodeSnapshot(LogCodec.encode(source.snapshot())));
    source.close();
    fresh.close();
    long live = sizeOf(dir.resolve("fresh"));
    System.out.printf(
        "| %s | %,d | %,d bytes | %,d bytes%s | %,d | %,d bytes | %.2f× | %.2f× |%n",
        compact ? "compacted" : "kept whole",
        writes,
        size,
        compacted,
        " (" + pass.millis() + " ms)",
        entries,
        live,
        (double) size / live,
        (double) compacted / live);
    System.err.printf(
        "%s: %,d writes in %,d ms%n",
        dir.getFileName(), writes, (System.nanoTime() - t0) / 1_000_000);
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /** A one-member cluster calls no other member. */
  private static final class NoPeers implements PeerTransport {
    private static IOException none() {
      return new IOException("a one-member cluster has no other member");
    }

    @Override
    public PeerMessages.PollAnswer poll(String a, PeerMessages.Poll p, Duration t)
        throws IOException {
      throw none();
    }

    @Override
    public PeerMessages.SubmitAnswer submit(String a, PeerMessages.Submit s, Duration t)
        throws IOException {
      throw none();
    }

    @Override
    public PeerMessages.Status status(String a, Duration t) throws IOException {
      throw none();
    }

    @Override
    public <T> T snapshot(String a, Duration t, StreamReader<T> reader) throws IOException {
      throw none();
    }

    @Override
    public PeerMessages.Done promote(String a, PeerMessages.Promote p, Duration t)
        throws IOException {
      throw none();
    }

    @Override
    public PeerMessages.Done handover(String a, PeerMessages.Handover h, Duration t)
        throws IOException {
      throw none();
    }

    @Override
    public PeerMessages.FenceAnswer fence(String a, PeerMessages.Fence f, Duration t)
        throws IOException {
      throw none();
    }

    @Override
    public PeerMessages.Done release(String a, PeerMessages.Release r, Duration t)
        throws IOException {
      throw none();
    }

    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public void close() {}
  }

  private static final class NoCache implements AppliedEntryListener {
    @Override
    public void objectChanged(UUID keyringId, long handle) {}

    @Override
    public void keyringChanged(UUID keyringId) {}
  }
}
