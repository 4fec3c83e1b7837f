package dev.keyring.sim.backup;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.BackupCipher;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.Snapshot;
import dev.keyring.store.StoreTransaction;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Restores a backup file onto the cluster of this member, with the administration guide's rules: a
 * keyring in the backup gets its configuration back (password verifier, roles' flags, lock state,
 * failed-login counter), creating it when it is missing; each of its objects in the backup is put
 * back as the backup holds it (same handle, id, attributes and SKS blob); keyrings and objects that
 * are not in the backup are not touched.
 *
 * <p>Nothing is written until the whole file has been read and authenticated (a wrong password, an
 * altered or cut-short file fails first) and checked against the cluster: its SMK fingerprint must
 * be this cluster's, no keyring label or object may collide with another one here, and the limits
 * must hold afterwards. Then each keyring is one replicated write (one transaction, one log entry):
 * an interruption leaves every keyring either wholly restored or untouched, and running the restore
 * again completes it (a keyring already restored changes nothing the second time).
 *
 * <p>Restoring onto another cluster with the same SMK re-seals each blob for this cluster inside
 * the boundary ({@link Boundary#rebindBlob}); the key never leaves it.
 */
public final class ClusterRestore {
  /** One replicated write (the primary's restore path). */
  @FunctionalInterface
  public interface Writer {
    void write(Consumer<StoreTransaction> work);
  }

  /** What a restore did. */
  public record Result(int keyrings, int objects, int keyringsCreated) {}

  private final KeyringStore store;
  private final Boundary boundary;
  private final BackupHooks hooks;

  public ClusterRestore(KeyringStore store, Boundary boundary, BackupHooks hooks) {
    this.store = store;
    this.boundary = boundary;
    this.hooks = hooks;
  }

  /** Reads a file's clear header (for its SMK fingerprint and counts), checking its format. */
  public static BackupHeader header(Path file) {
    try (InputStream in = open(file)) {
      return BackupReader.header(in).header();
    } catch (IOException e) {
      throw new UncheckedIOException("reading the backup file failed", e);
    }
  }

  private static InputStream open(Path file) throws IOException {
    try {
      return new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    } catch (NoSuchFileException e) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "there is no backup file of that name");
    }
  }

  /**
   * A backup file read, authenticated and checked against this cluster, ready to be applied: holds
   * the file's key until closed.
   */
  public static final class Prepared implements AutoCloseable {
    private final Path file;
    private final BackupHeader header;
    private final BackupCipher cipher;
    private final UUID targetCluster;
    private final java.util.Set<UUID> unchanged;

    private Prepared(
        Path file,
        BackupHeader header,
        BackupCipher cipher,
        UUID targetCluster,
        java.util.Set<UUID> unchanged) {
      this.unchanged = unchanged;
      this.file = file;
      this.header = header;
      this.cipher = cipher;
      this.targetCluster = targetCluster;
    }

    public BackupHeader header() {
      return header;
    }

    @Override
    public void close() {
      cipher.close();
    }
  }

  /**
   * Checks the file against this cluster, then restores it keyring by keyring through {@code
   * writer}.
   *
   * @param targetCluster this member's cluster
   * @param targetSmk this cluster's SMK fingerprint (16 hex digits)
   */
  public Result run(
      Path file,
      ClusterBackup.KeySource keys,
      UUID targetCluster,
      String targetSmk,
      Writer writer,
      BackupProgress progress) {
    try (Prepared p = prepare(file, keys, targetCluster, targetSmk)) {
      return apply(p, writer, progress);
    }
  }

  /**
   * The first pass, which writes nothing: the SMK fingerprint compared, the key derived, the whole
   * body authenticated, and every keyring checked against the store (labels, object places,
   * limits). Any failure: an {@link HsmException} saying why.
   */
  public Prepared prepare(
      Path file, ClusterBackup.KeySource keys, UUID targetCluster, String targetSmk) {
    BackupHeader header = header(file);
    if (!header.smkFingerprintHex().equalsIgnoreCase(Objects.requireNonNull(targetSmk))) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_INVALID,
          "the backup's objects are sealed under the SMK with fingerprint "
              + header.smkFingerprintHex()
              + ", and this cluster's SMK is "
              + targetSmk
              + ": restore onto a cluster that holds the same SMK (cloned, or restored from the"
              + " backup HSM); nothing was changed");
    }
    BackupCipher cipher = keys.derive(header.salt(), header.logN(), header.r(), header.p());
    try {
      java.util.Set<UUID> unchanged = check(file, cipher, targetCluster);
      return new Prepared(file, header, cipher, targetCluster, unchanged);
    } catch (IOException e) {
      cipher.close();
      throw new UncheckedIOException("reading the backup file failed", e);
    } catch (RuntimeException e) {
      cipher.close();
      throw e;
    }
  }

  /** The second pass: one replicated write per keyring (see the class comment). */
  public Result apply(Prepared p, Writer writer, BackupProgress progress) {
    progress.total(p.header.keyrings());
    try {
      return apply(p.file, p.cipher, p.targetCluster, p.unchanged, writer, progress);
    } catch (IOException e) {
      throw new UncheckedIOException("reading the backup file failed", e);
    }
  }

  /** The first pass: authenticates the whole body and checks it against the store. */
  /**
   * The first pass. Also finds the keyrings that already are as the backup holds them (same
   * configuration, every object of the backup present and equal), which the second pass skips.
   */
  private java.util.Set<UUID> check(Path file, BackupCipher cipher, UUID targetCluster)
      throws IOException {
    java.util.Set<UUID> unchanged = new java.util.HashSet<>();
    Snapshot now = store.snapshot();
    Map<UUID, KeyringRecord> byId = new HashMap<>();
    Map<String, UUID> byLabel = new HashMap<>();
    for (KeyringRecord k : now.keyrings()) {
      byId.put(k.id(), k);
      byLabel.put(k.label(), k.id());
    }
    Map<UUID, String> objectPlace = new HashMap<>();
    Map<String, UUID> atHandle = new HashMap<>();
    Map<String, ObjectRecord> rows = new HashMap<>();
    Map<UUID, Integer> held = new HashMap<>();
    for (ObjectRecord o : now.objects()) {
      objectPlace.put(o.objectId(), o.keyringId() + "/" + o.handle());
      atHandle.put(o.keyringId() + "/" + o.handle(), o.objectId());
      rows.put(o.keyringId() + "/" + o.handle(), o);
      held.merge(o.keyringId(), 1, Integer::sum);
    }
    int keyringsAfter = now.keyrings().size();
    try (InputStream in = open(file)) {
      BackupReader r = new BackupReader(in, BackupReader.header(in), cipher);
      for (KeyringEntry e = r.next(); e != null; e = r.next()) {
        KeyringRecord k = e.keyring();
        UUID owner = byLabel.get(k.label());
        if (owner != null && !owner.equals(k.id())) {
          throw refused(
              "keyring label '"
                  + k.label()
                  + "' of the backup belongs to another keyring here; rename or delete that"
                  + " keyring first");
        }
        if (!byId.containsKey(k.id())) {
          keyringsAfter++;
        }
        int objects = held.getOrDefault(k.id(), 0);
        for (ObjectRecord o : e.objects()) {
          String place = k.id() + "/" + o.handle();
          String where = objectPlace.get(o.objectId());
          if (where != null && !where.equals(place)) {
            throw refused(
                "an object of keyring '"
                    + k.label()
                    + "' in the backup exists here in another place (object id "
                    + o.objectId()
                    + ")");
          }
          UUID there = atHandle.get(place);
          if (there != null && !there.equals(o.objectId())) {
            throw refused(
                "handle "
                    + o.handle()
                    + " of keyring '"
                    + k.label()
                    + "' holds another object here than in the backup");
          }
          if (there == null) {
            objects++;
          }
        }
        if (sameAs(byId.get(k.id()), k, targetCluster)
            && e.objects().stream().allMatch(o -> o.equals(rows.get(k.id() + "/" + o.handle())))) {
          unchanged.add(k.id());
        }
        if (objects > KeyringLimits.MAX_OBJECTS_PER_KEYRING) {
          throw refused(
              "keyring '"
                  + k.label()
                  + "' would hold "
                  + objects
                  + " objects after the restore, past the limit of "
                  + KeyringLimits.MAX_OBJECTS_PER_KEYRING);
        }
      }
    }
    if (keyringsAfter > KeyringLimits.MAX_KEYRINGS_PER_CLUSTER) {
      throw refused(
          "the cluster would hold "
              + keyringsAfter
              + " keyrings after the restore, past the limit of "
              + KeyringLimits.MAX_KEYRINGS_PER_CLUSTER);
    }
    return unchanged;
  }

  /**
   * Whether a keyring here already has the backup's configuration (and belongs to this cluster).
   */
  private static boolean sameAs(KeyringRecord here, KeyringRecord backup, UUID targetCluster) {
    return here != null
        && backup.clusterId().equals(targetCluster)
        && here.clusterId().equals(targetCluster)
        && here.label().equals(backup.label())
        && here.credentialVerifier().equals(backup.credentialVerifier())
        && here.passwordChangeRequired() == backup.passwordChangeRequired()
        && here.krcoInitialized() == backup.krcoInitialized()
        && here.locked() == backup.locked()
        && here.failedLogins() == backup.failedLogins();
  }

  private static HsmException refused(String why) {
    return new HsmException(ResultCode.CKR_FUNCTION_FAILED, why + "; nothing was changed");
  }

  /** The second pass: one replicated write per keyring. */
  private Result apply(
      Path file,
      BackupCipher cipher,
      UUID targetCluster,
      java.util.Set<UUID> unchanged,
      Writer writer,
      BackupProgress progress)
      throws IOException {
    int keyrings = 0;
    int objects = 0;
    int created = 0;
    try (InputStream in = open(file)) {
      BackupReader r = new BackupReader(in, BackupReader.header(in), cipher);
      for (KeyringEntry e = r.next(); e != null; e = r.next()) {
        KeyringRecord backup = e.keyring();
        if (unchanged.contains(backup.id())) {
          // already as the backup holds it: nothing to write (a run again after an interruption)
          keyrings++;
          objects += e.objects().size();
          progress.keyringDone(e.objects().size());
          continue;
        }
        UUID from = backup.clusterId();
        KeyringRecord k =
            new KeyringRecord(
                backup.id(),
                targetCluster,
                backup.label(),
                backup.credentialVerifier(),
                backup.passwordChangeRequired(),
                backup.krcoInitialized(),
                backup.locked(),
                backup.failedLogins(),
                backup.createdAt(),
                backup.nextHandle());
        List<ObjectRecord> put =
            e.objects().stream()
                .map(
                    o ->
                        o.blob() == null || from.equals(targetCluster)
                            ? o
                            : o.withAttributesAndBlob(
                                o.attributes(),
                                boundary.rebindBlob(
                                    o.blob(),
                                    from,
                                    targetCluster,
                                    o.keyringId(),
                                    o.objectId(),
                                    o.attributes())))
                .toList();
        int count = keyrings + 1;
        boolean[] isNew = new boolean[1];
        writer.write(
            tx -> {
              if (tx.lockKeyring(k.id()).isPresent()) {
                tx.updateKeyring(k);
                isNew[0] = false;
              } else {
                tx.createKeyrings(targetCluster, List.of(k));
                isNew[0] = true;
              }
              for (ObjectRecord o : put) {
                tx.putObject(o);
              }
              hooks.restoreWriting(count);
            });
        boundary.evictKeyring(k.id());
        keyrings++;
        objects += put.size();
        created += isNew[0] ? 1 : 0;
        progress.keyringDone(put.size());
        hooks.restoreWrote(count);
      }
    }
    return new Result(keyrings, objects, created);
  }
}
