package dev.keyring.store;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A {@link StoreTransaction} that records the rows its writes touch. Each touched row keeps its
 * image from before its first change in this transaction; {@link #changes()} reads every such row
 * again at the end and gives one {@link RowChange} per row whose image changed, in first-touch
 * order. Member-local writes (cluster row, HSM state) are refused: they are not replicated.
 *
 * <p>A row the work read without a lock ({@link #object}, {@link #clusterValue}) before changing it
 * keeps the image it read as its before-image, not the one under the lock at its first change:
 * between the two, another transaction (an entry of the primary applied on a follower) may have
 * changed it, and the change, computed from what was read, must then be refused as a conflict where
 * it is applied rather than overwrite that other change.
 */
final class RecordingTransaction implements StoreTransaction {
  private record KeyringKey(UUID id) {}

  private record ObjectKey(UUID keyringId, long handle) {}

  private record ValueKey(String name) {}

  /** A before-image that is "no row". */
  private static final Object ABSENT = new Object();

  private final JdbcTransaction tx;
  private final Map<Object, Object> before = new LinkedHashMap<>();
  // the image of each row at its first read without a lock, while it is not touched yet
  private final Map<Object, Object> read = new HashMap<>();

  RecordingTransaction(JdbcTransaction tx) {
    this.tx = tx;
  }

  private static IllegalStateException memberLocal(String what) {
    return new IllegalStateException(
        what
            + " is member-local and not replicated: do it through KeyringStore.write, not in a"
            + " replicated write");
  }

  private void touchKeyring(UUID id) {
    KeyringKey key = new KeyringKey(id);
    if (!before.containsKey(key)) {
      Optional<KeyringRecord> row =
          tx.sql("reading keyring " + id + " before changing it", () -> tx.readKeyring(id, true));
      before.put(key, read.getOrDefault(key, row.isPresent() ? row.get() : ABSENT));
    }
  }

  private void touchObject(UUID keyringId, long handle) {
    ObjectKey key = new ObjectKey(keyringId, handle);
    if (!before.containsKey(key)) {
      Optional<ObjectRecord> row =
          tx.sql(
              "reading object " + handle + " of keyring " + keyringId + " before changing it",
              () -> tx.readObject(keyringId, handle, true));
      before.put(key, read.getOrDefault(key, row.isPresent() ? row.get() : ABSENT));
    }
  }

  private void touchValue(String name) {
    ValueKey key = new ValueKey(name);
    if (!before.containsKey(key)) {
      Optional<byte[]> row =
          tx.sql(
              "reading cluster value '" + name + "' before changing it",
              () -> tx.readClusterValue(name, true));
      before.put(key, read.getOrDefault(key, row.isPresent() ? row.get() : ABSENT));
    }
  }

  /** Keeps the image of a row read without a lock, the first time, if it is not touched yet. */
  private <T> Optional<T> sawRow(Object key, Optional<T> row) {
    if (!before.containsKey(key)) {
      read.putIfAbsent(key, row.isPresent() ? row.get() : ABSENT);
    }
    return row;
  }

  @Override
  public ClusterRecord createCluster(UUID id, String label) {
    throw memberLocal("creating the cluster row");
  }

  @Override
  public List<KeyringRecord> createKeyrings(UUID clusterId, List<KeyringRecord> keyrings) {
    List<KeyringRecord> created = tx.createKeyrings(clusterId, keyrings);
    // all or none: every id was absent unless this transaction touched it already
    for (KeyringRecord k : created) {
      before.putIfAbsent(new KeyringKey(k.id()), ABSENT);
    }
    return created;
  }

  @Override
  public Optional<KeyringRecord> lockKeyring(UUID keyringId) {
    return tx.lockKeyring(keyringId);
  }

  @Override
  public void updateKeyring(KeyringRecord keyring) {
    Objects.requireNonNull(keyring, "keyring");
    touchKeyring(keyring.id());
    tx.updateKeyring(keyring);
  }

  @Override
  public boolean deleteKeyring(UUID keyringId) {
    Objects.requireNonNull(keyringId, "keyringId");
    touchKeyring(keyringId);
    List<ObjectRecord> objects =
        tx.sql(
            "reading the objects of keyring " + keyringId + " before deleting it",
            () -> tx.readObjects(keyringId));
    for (ObjectRecord o : objects) {
      ObjectKey key = new ObjectKey(o.keyringId(), o.handle());
      before.putIfAbsent(key, read.getOrDefault(key, o));
    }
    return tx.deleteKeyring(keyringId);
  }

  @Override
  public ObjectRecord insertObject(
      UUID keyringId, UUID objectId, ObjectClass objectClass, Attributes attributes, byte[] blob) {
    Objects.requireNonNull(keyringId, "keyringId");
    touchKeyring(keyringId);
    ObjectRecord o = tx.insertObject(keyringId, objectId, objectClass, attributes, blob);
    // handles are never reused, so the row did not exist
    before.putIfAbsent(new ObjectKey(keyringId, o.handle()), ABSENT);
    return o;
  }

  @Override
  public List<ObjectRecord> insertObjects(UUID keyringId, List<NewObject> objects) {
    Objects.requireNonNull(keyringId, "keyringId");
    touchKeyring(keyringId);
    List<ObjectRecord> stored = tx.insertObjects(keyringId, objects);
    for (ObjectRecord o : stored) {
      // handles are never reused, so the rows did not exist
      before.putIfAbsent(new ObjectKey(keyringId, o.handle()), ABSENT);
    }
    return stored;
  }

  @Override
  public void updateObject(ObjectRecord object) {
    Objects.requireNonNull(object, "object");
    touchObject(object.keyringId(), object.handle());
    tx.updateObject(object);
  }

  @Override
  public void putObject(ObjectRecord object) {
    Objects.requireNonNull(object, "object");
    touchKeyring(object.keyringId());
    touchObject(object.keyringId(), object.handle());
    tx.putObject(object);
  }

  @Override
  public boolean deleteObject(UUID keyringId, long handle) {
    Objects.requireNonNull(keyringId, "keyringId");
    touchObject(keyringId, handle);
    return tx.deleteObject(keyringId, handle);
  }

  @Override
  public void putHsmState(String name, byte[] value) {
    throw memberLocal("setting HSM state");
  }

  @Override
  public boolean deleteCluster(UUID clusterId) {
    throw memberLocal("deleting the cluster");
  }

  @Override
  public boolean deleteHsmState(String name) {
    throw memberLocal("deleting HSM state");
  }

  @Override
  public Optional<ObjectRecord> object(UUID keyringId, long handle) {
    return sawRow(new ObjectKey(keyringId, handle), tx.object(keyringId, handle));
  }

  @Override
  public Optional<byte[]> clusterValue(String name) {
    return sawRow(new ValueKey(name), tx.clusterValue(name));
  }

  @Override
  public Optional<byte[]> lockClusterValue(String name) {
    Objects.requireNonNull(name, "name");
    touchValue(name); // the before-image, read under the lock
    return tx.lockClusterValue(name);
  }

  @Override
  public void putClusterValue(String name, byte[] value) {
    Objects.requireNonNull(name, "name");
    touchValue(name);
    tx.putClusterValue(name, value);
  }

  @Override
  public boolean deleteClusterValue(String name) {
    Objects.requireNonNull(name, "name");
    touchValue(name);
    return tx.deleteClusterValue(name);
  }

  /**
   * The changes so far: every touched row read again, those whose image changed, in first-touch
   * order.
   */
  ChangeSet changes() {
    List<RowChange> out = new ArrayList<>();
    for (Map.Entry<Object, Object> e : before.entrySet()) {
      Object was = e.getValue() == ABSENT ? null : e.getValue();
      if (e.getKey() instanceof KeyringKey k) {
        KeyringRecord now =
            tx.sql("reading keyring " + k.id(), () -> tx.readKeyring(k.id(), false)).orElse(null);
        if (!Objects.equals(was, now)) {
          out.add(new RowChange.KeyringRow(k.id(), (KeyringRecord) was, now));
        }
      } else if (e.getKey() instanceof ObjectKey o) {
        ObjectRecord now =
            tx.sql(
                    "reading object " + o.handle() + " of keyring " + o.keyringId(),
                    () -> tx.readObject(o.keyringId(), o.handle(), false))
                .orElse(null);
        if (!Objects.equals(was, now)) {
          out.add(new RowChange.ObjectRow(o.keyringId(), o.handle(), (ObjectRecord) was, now));
        }
      } else {
        ValueKey v = (ValueKey) e.getKey();
        byte[] now =
            tx.sql(
                    "reading cluster value '" + v.name() + "'",
                    () -> tx.readClusterValue(v.name(), false))
                .orElse(null);
        if (!Arrays.equals((byte[]) was, now)) {
          out.add(new RowChange.ClusterValue(v.name(), (byte[]) was, now));
        }
      }
    }
    return new ChangeSet(out);
  }
}
