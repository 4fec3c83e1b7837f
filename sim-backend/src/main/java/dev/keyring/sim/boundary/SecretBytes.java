package dev.keyring.sim.boundary;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * Plaintext key material: the one type that holds it. Reading the bytes needs the package's {@link
 * SecretKeyAccess}; equality is constant time; {@link #toString()} shows only the length.
 */
final class SecretBytes {
  private final byte[] bytes;
  private volatile boolean destroyed;

  private SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Takes ownership of {@code bytes}: the caller must not keep or change the array. */
  static SecretBytes adopt(byte[] bytes) {
    return new SecretBytes(Objects.requireNonNull(bytes, "bytes"));
  }

  /** A copy of the bytes. */
  byte[] reveal(SecretKeyAccess access) {
    Objects.requireNonNull(access, "access");
    return bytes.clone();
  }

  int length() {
    return bytes.length;
  }

  /** Overwrites the bytes with zeros. */
  void destroy() {
    Arrays.fill(bytes, (byte) 0);
    destroyed = true;
  }

  /** Whether {@link #destroy()} has overwritten the bytes. */
  boolean isDestroyed() {
    return destroyed;
  }

  boolean equalsSecretBytes(SecretBytes other) {
    return MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretBytes && equalsSecretBytes((SecretBytes) o);
  }

  @Override
  public int hashCode() {
    return bytes.length;
  }

  @Override
  public String toString() {
    return "SecretBytes[" + bytes.length + " bytes]";
  }
}
