package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An open H2 file store gives back the space its old commits held: after thousands of writes that
 * leave the live state as it was (an object created and destroyed), the file is many times the live
 * state; one pass leaves it within twice the size of a fresh store holding the same state, and
 * every row is still there. A small or dense file is left alone.
 */
class H2FileCompactionTest {
  @TempDir Path dir;

  @Test
  void grownFile_isCompactedWhileOpen_toWithinTwiceTheLiveState_andKeepsItsRows() throws Exception {
    try (KeyringStore store = KeyringStore.open(StoreConfig.h2File(dir.resolve("busy")))) {
      UUID cluster = KeyringStoreContract.createCluster(store);
      UUID keyring = KeyringStoreContract.createKeyring(store, cluster, "ring");
      ObjectRecord kept = KeyringStoreContract.insertObject(store, keyring, "kept");
      FileCompaction small = store.compactFileIfGrown();
      assertFalse(small.ran(), "a small file is left alone: " + small);

      int writes = 0;
      while (fileSize(dir.resolve("busy")) < 2 * H2FileCompaction.MIN_FILE_BYTES) {
        ObjectRecord o = KeyringStoreContract.insertObject(store, keyring, "churn-" + writes);
        store.write(tx -> tx.deleteObject(keyring, o.handle()));
        writes += 2;
      }
      long grown = fileSize(dir.resolve("busy"));

      FileCompaction pass = store.compactFileIfGrown();
      long after = fileSize(dir.resolve("busy"));
      long live = liveStateSize(store);
      System.out.printf(
          "store file compaction: %,d writes grew the file to %,d bytes; one pass:"
              + " %,d bytes in %d ms; a fresh store with the same state: %,d bytes (%.2f×)%n",
          writes, grown, after, pass.millis(), live, (double) after / live);
      assertTrue(pass.ran(), "a large sparse file is compacted: " + pass);
      assertEquals(grown, pass.bytesBefore());
      assertTrue(after <= 2 * live, after + " bytes, live state " + live + " bytes");

      // every row is there, and the store goes on taking writes
      assertEquals(1, store.objectCount(keyring));
      assertEquals(
          kept.attributes(), store.object(keyring, kept.handle()).orElseThrow().attributes());
      KeyringStoreContract.insertObject(store, keyring, "after");
      assertEquals(2, store.objectCount(keyring));
      assertFalse(store.compactFileIfGrown().ran(), "not doubled since the last pass");
    }
  }

  private long liveStateSize(KeyringStore source) throws IOException {
    Path fresh = dir.resolve("fresh");
    try (KeyringStore copy = KeyringStore.open(StoreConfig.h2File(fresh))) {
      copy.installSnapshot(LogCodec.decodeSnapshot(LogCodec.encode(source.snapshot())));
      copy.compactFile();
      return fileSize(fresh);
    }
  }

  private static long fileSize(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".mv.db"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }
}
