package dev.keyring.benchmarks;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.sim.backup.BackupFiles;
import dev.keyring.sim.backup.BackupHooks;
import dev.keyring.sim.backup.BackupProgress;
import dev.keyring.sim.backup.ClusterBackup;
import dev.keyring.sim.backup.ClusterRestore;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.boundary.BoundaryConfig;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Backup and restore throughput of a full cluster: 3,500 keyrings, 20 of them with 256 AES-256 keys
 * generated inside the boundary (5,120 objects), in one member's store. The backup is timed from
 * the consistent read to the file renamed into place; then 200 keyrings are deleted and the restore
 * is timed from reading the file (the authentication pass included) to the last keyring committed,
 * each keyring one write of the primary with its log entry (the path a restore takes). On an H2
 * file, and on PostgreSQL when a JDBC URL is given.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.keyring.benchmarks.BackupRestoreMain
 * [jdbc:postgresql://...?user=..&password=..]}. It prints a Markdown table.
 */
public final class BackupRestoreMain {
  private static final int KEYRINGS = 3_500;
  private static final int FULL_KEYRINGS = 20;
  private static final int OBJECTS = 256;
  private static final String PASSWORD = "benchmark-backup-1";

  private BackupRestoreMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("keyring-backup-bench");
    System.out.println(
        "| store | keyrings | objects | backup s | backup keyrings/s | backup objects/s | file"
            + " bytes | full restore s | keyrings/s | objects/s | restore after 200 deleted s |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    run("H2 file", StoreConfig.h2File(dir.resolve("h2")), dir.resolve("h2-hsm"), dir);
    if (args.length > 0) {
      String schema = "bench_backup_" + Long.toHexString(System.nanoTime());
      run(
          "PostgreSQL",
          StoreConfig.builder().jdbcUrl(args[0]).schema(schema).build(),
          dir.resolve("pg-hsm"),
          dir);
    }
  }

  private static void run(String name, StoreConfig config, Path hsm, Path dir) throws Exception {
    try (KeyringStore store = KeyringStore.open(config);
        Boundary boundary =
            Boundary.open(
                BoundaryConfig.builder().deviceKeyFile(hsm.resolve("device.key")).build(), store)) {
      boundary.createSmk();
      UUID cluster = UUID.randomUUID();
      store.write(tx -> tx.createCluster(cluster, "bench"));
      List<UUID> ids = new ArrayList<>();
      for (int batch = 0; batch < KEYRINGS / 100; batch++) {
        List<KeyringRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          UUID id = UUID.randomUUID();
          ids.add(id);
          records.add(
              new KeyringRecord(
                  id,
                  cluster,
                  String.format(Locale.ROOT, "ring%04d", batch * 100 + i),
                  "verifier",
                  false,
                  true,
                  false,
                  0,
                  Instant.now()));
        }
        store.write(tx -> tx.createKeyrings(cluster, records));
      }
      for (int k = 0; k < FULL_KEYRINGS; k++) {
        for (int o = 0; o < OBJECTS; o++) {
          boundary.generateKey(
              ids.get(k * 100), KeyGenParams.aes(256), Attributes.builder().label("k" + o).build());
        }
      }
      int objects = FULL_KEYRINGS * OBJECTS;
      BackupFiles files = new BackupFiles(dir.resolve("files-" + hsm.getFileName()));
      long t0 = System.nanoTime();
      ClusterBackup.Result r =
          new ClusterBackup(
                  store, files, new SecureRandom(), BackupHooks.NONE, System::currentTimeMillis)
              .run(
                  "admin",
                  "bench",
                  boundary.smkFingerprint(),
                  (s, n, rr, p) -> boundary.backupCipher(PASSWORD, s, n, rr, p),
                  new BackupProgress());
      double backupS = (System.nanoTime() - t0) / 1e9;
      // every keyring deleted: the restore writes all of them
      for (UUID id : ids) {
        store.write(tx -> tx.deleteKeyring(id));
      }
      long t1 = System.nanoTime();
      ClusterRestore.Result rr = restore(store, boundary, files, cluster);
      double restoreS = (System.nanoTime() - t1) / 1e9;
      if (rr.keyrings() != KEYRINGS
          || rr.objects() != objects
          || store.keyringCount() != KEYRINGS) {
        throw new IllegalStateException("the restore did not cover the backup: " + rr);
      }
      // 200 deleted: the restore checks every keyring and writes those 200
      for (int i = 0; i < 200; i++) {
        UUID id = ids.get(i * 17);
        store.write(tx -> tx.deleteKeyring(id));
      }
      long t2 = System.nanoTime();
      restore(store, boundary, files, cluster);
      double partialS = (System.nanoTime() - t2) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "| %s | %d | %d | %.2f | %.0f | %.0f | %d | %.2f | %.0f | %.0f | %.2f |%n",
          name,
          r.keyrings(),
          r.objects(),
          backupS,
          r.keyrings() / backupS,
          r.objects() / backupS,
          r.bytes(),
          restoreS,
          rr.keyrings() / restoreS,
          rr.objects() / restoreS,
          partialS);
    }
  }

  private static ClusterRestore.Result restore(
      KeyringStore store, Boundary boundary, BackupFiles files, UUID cluster) {
    return new ClusterRestore(store, boundary, BackupHooks.NONE)
        .run(
            files.path("admin", "bench"),
            (s, n, x, p) -> boundary.backupCipher(PASSWORD, s, n, x, p),
            cluster,
            boundary.smkFingerprint(),
            work ->
                store.writeAsPrimary(
                    1,
                    tx -> {
                      work.accept(tx);
                      return null;
                    }),
            new BackupProgress());
  }
}
