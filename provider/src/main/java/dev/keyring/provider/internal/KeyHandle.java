package dev.keyring.provider.internal;

import dev.keyring.provider.api.KeyringKey;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.UUID;

/**
 * What every key handle holds: the session of its keyring, the object handle, its algorithm, size
 * and label. No key material: there is none on this side of the network.
 */
abstract class KeyHandle implements KeyringKey {
  private static final long serialVersionUID = 1L;

  private final transient SlotSession slot;
  private final long handle;
  private final String algorithm;
  private final int bits;
  private final String label;

  KeyHandle(SlotSession slot, long handle, String algorithm, int bits, String label) {
    this.slot = slot;
    this.handle = handle;
    this.algorithm = algorithm;
    this.bits = bits;
    this.label = label == null ? "" : label;
  }

  SlotSession slot() {
    return slot;
  }

  @Override
  public UUID keyringId() {
    return slot.keyringId();
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public long objectHandle() {
    return handle;
  }

  @Override
  public int bits() {
    return bits;
  }

  @Override
  public final String getAlgorithm() {
    return algorithm;
  }

  /** Always null: the key's value never leaves the keyring. */
  @Override
  public final String getFormat() {
    return null;
  }

  /** Always null: the key's value never leaves the keyring. */
  @Override
  public final byte[] getEncoded() {
    return null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyHandle
        && ((KeyHandle) o).handle == handle
        && ((KeyHandle) o).keyringId().equals(keyringId())
        && o.getClass() == getClass();
  }

  @Override
  public int hashCode() {
    return Long.hashCode(handle) * 31 + keyringId().hashCode();
  }

  @Override
  public String toString() {
    return kind()
        + " "
        + algorithm
        + (bits > 0 ? " " + bits + " bits" : "")
        + ", label '"
        + label
        + "' (keyring handle)";
  }

  abstract String kind();

  private void writeObject(ObjectOutputStream out) throws NotSerializableException {
    throw new NotSerializableException("a keyring key handle cannot be serialized: " + this);
  }

  private void readObject(ObjectInputStream in) throws NotSerializableException {
    throw new NotSerializableException("a keyring key handle cannot be deserialized");
  }
}
