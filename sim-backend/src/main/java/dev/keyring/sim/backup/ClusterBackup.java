package dev.keyring.sim.backup;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.BackupCipher;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.Snapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a backup of the whole cluster as one member's store holds it: every keyring with its
 * configuration and every object with its SKS blob as stored, read in one consistent snapshot, into
 * a user's file (atomically: see {@link BackupFiles#write}). The SMK is never in it: only its
 * fingerprint, so a restore can tell whether the blobs will open.
 */
public final class ClusterBackup {
  /** scrypt cost of new backups: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s). */
  public static final int LOG_N = 15;

  public static final int R = 8;
  public static final int P = 1;

  /** Plaintext bytes per chunk of new backups. */
  public static final int CHUNK = 64 << 10;

  /** Where the key of a new backup comes from (a password given now, or a sealed one). */
  @FunctionalInterface
  public interface KeySource {
    BackupCipher derive(byte[] salt, int logN, int r, int p);
  }

  /** What a backup wrote. */
  public record Result(String filename, long bytes, int keyrings, int objects) {}

  private final KeyringStore store;
  private final BackupFiles files;
  private final SecureRandom random;
  private final BackupHooks hooks;
  private final java.util.function.LongSupplier clock;

  public ClusterBackup(
      KeyringStore store,
      BackupFiles files,
      SecureRandom random,
      BackupHooks hooks,
      java.util.function.LongSupplier wallClockMillis) {
    this.store = store;
    this.files = files;
    this.random = random;
    this.hooks = hooks;
    this.clock = wallClockMillis;
  }

  /** The wall clock, ms since the epoch (the member's ticker). */
  public long now() {
    return clock.getAsLong();
  }

  /**
   * Backs the cluster up into {@code user}'s file {@code filename}, replacing a file of that name
   * only once the new one is whole.
   *
   * @param smkFingerprint the cluster SMK's fingerprint (16 hex digits)
   */
  public Result run(
      String user,
      String filename,
      String smkFingerprint,
      KeySource keys,
      BackupProgress progress) {
    BackupFiles.checkName(filename);
    Snapshot s = store.snapshot();
    if (s.cluster() == null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "this member has no cluster to back up");
    }
    Map<UUID, List<ObjectRecord>> byKeyring = new HashMap<>();
    for (ObjectRecord o : s.objects()) {
      byKeyring.computeIfAbsent(o.keyringId(), k -> new ArrayList<>()).add(o);
    }
    List<KeyringRecord> keyrings = new ArrayList<>(s.keyrings());
    keyrings.sort(Comparator.comparing(KeyringRecord::label));
    byte[] salt = new byte[BackupCipher.SALT_BYTES];
    byte[] prefix = new byte[8];
    random.nextBytes(salt);
    random.nextBytes(prefix);
    BackupHeader header =
        new BackupHeader(
            LOG_N,
            R,
            P,
            salt,
            prefix,
            CHUNK,
            s.cluster().id(),
            HexFormat.of().parseHex(smkFingerprint),
            clock.getAsLong(),
            keyrings.size(),
            s.objects().size(),
            s.cluster().label());
    progress.total(keyrings.size());
    try (BackupCipher cipher = keys.derive(salt, LOG_N, R, P)) {
      long size =
          files.write(
              user,
              filename,
              out -> {
                BackupWriter w = new BackupWriter(out, header, cipher);
                int n = 0;
                for (KeyringRecord k : keyrings) {
                  List<ObjectRecord> objects =
                      new ArrayList<>(byKeyring.getOrDefault(k.id(), List.of()));
                  objects.sort(Comparator.comparingLong(ObjectRecord::handle));
                  w.keyring(new KeyringEntry(k, objects));
                  progress.keyringDone(objects.size());
                  hooks.backupWrote(++n);
                }
                w.finish();
              });
      return new Result(filename, size, keyrings.size(), s.objects().size());
    } catch (IOException e) {
      throw new UncheckedIOException("writing the backup file failed", e);
    }
  }
}
