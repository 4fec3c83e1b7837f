package dev.keyring.sim.boundary;

import java.util.Base64;
import java.util.Objects;

/**
 * The SMK in protected form, as the partition persists it: wrapped (AES-KWP) under the HSM's device
 * key, with a fingerprint that identifies the SMK without revealing it. Safe to store and log.
 */
public final class ProtectedSmk {
  private final byte[] wrapped;
  private final String fingerprint;

  public ProtectedSmk(byte[] wrapped, String fingerprint) {
    this.wrapped = Objects.requireNonNull(wrapped, "wrapped").clone();
    this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
  }

  public byte[] wrapped() {
    return wrapped.clone();
  }

  /** 16 hex digits: the first 8 bytes of HMAC-SHA256(SMK, "keyring smk fingerprint"). */
  public String fingerprint() {
    return fingerprint;
  }

  /** {@code fingerprint:base64(wrapped)}, the form the partition stores. */
  public String encode() {
    return fingerprint + ":" + Base64.getEncoder().encodeToString(wrapped);
  }

  public static ProtectedSmk decode(String encoded) {
    int colon = encoded.indexOf(':');
    if (colon != 16) {
      throw new IllegalArgumentException("not a protected SMK");
    }
    return new ProtectedSmk(
        Base64.getDecoder().decode(encoded.substring(colon + 1)), encoded.substring(0, colon));
  }

  @Override
  public String toString() {
    return "ProtectedSmk[" + fingerprint + "]";
  }
}
