package dev.keyring.provider.api;

import dev.keyring.protocol.KeyringLimits;
import java.nio.charset.StandardCharsets;
import java.security.spec.AlgorithmParameterSpec;
import java.util.HexFormat;
import java.util.Optional;

/**
 * How a Keyring {@code KeyPairGenerator} or {@code KeyGenerator} makes a key: its label (the
 * KeyStore alias it appears under), its CKA_ID, the keyring (by label or UUID; by default the one
 * most recently loaded as a KeyStore), its size or curve, and its {@link Purpose}.
 *
 * <pre>{@code
 * kpg.initialize(KeyringKeyGenParameterSpec.builder().label("web").keySize(3072).build());
 * kg.init(KeyringKeyGenParameterSpec.builder().purpose(Purpose.KEY_WRAP).build()); // an AES KEK
 * }</pre>
 */
public final class KeyringKeyGenParameterSpec implements AlgorithmParameterSpec {
  /**
   * What a key is for. A keyring keeps uses apart so that no key can reveal another: a key that
   * wraps does not decrypt, and an EC key signs or agrees, not both.
   */
  public enum Purpose {
    /**
     * The usual uses: key pairs sign (RSA keys also decrypt and unwrap), AES keys encrypt, decrypt
     * and unwrap, HMAC keys compute MACs.
     */
    DEFAULT,
    /**
     * An AES key-wrapping key ({@code AES/KWP/NoPadding} in {@code WRAP_MODE} and {@code
     * UNWRAP_MODE}); it does not encrypt or decrypt data. AES only.
     */
    KEY_WRAP,
    /** An EC key for {@code KeyAgreement} (ECDH); it does not sign. EC only. */
    KEY_AGREEMENT
  }

  private final String label;
  private final byte[] id;
  private final String keyring;
  private final int keySize;
  private final String curve;
  private final Purpose purpose;

  private KeyringKeyGenParameterSpec(Builder b) {
    this.label = b.label;
    this.id = b.id;
    this.keyring = b.keyring;
    this.keySize = b.keySize;
    this.curve = b.curve;
    this.purpose = b.purpose;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The label, if one was given; a key without one is no KeyStore entry until it is stored. */
  public Optional<String> label() {
    return Optional.ofNullable(label);
  }

  public Optional<byte[]> id() {
    return Optional.ofNullable(id).map(byte[]::clone);
  }

  /** The keyring, if one was named. */
  public Optional<String> keyring() {
    return Optional.ofNullable(keyring);
  }

  /** The key size in bits, or 0 for the algorithm's default. */
  public int keySize() {
    return keySize;
  }

  /** The curve name (EC), if one was given. */
  public Optional<String> curve() {
    return Optional.ofNullable(curve);
  }

  /** What the key is for; {@link Purpose#DEFAULT} unless one was given. */
  public Purpose purpose() {
    return purpose;
  }

  @Override
  public String toString() {
    return "KeyringKeyGenParameterSpec[label="
        + label
        + ", keyring="
        + keyring
        + ", keySize="
        + keySize
        + ", curve="
        + curve
        + ", purpose="
        + purpose
        + (id == null ? "" : ", id=" + HexFormat.of().formatHex(id))
        + "]";
  }

  /** Collects the settings; {@link #build()} checks them. */
  public static final class Builder {
    private String label;
    private byte[] id;
    private String keyring;
    private int keySize;
    private String curve;
    private Purpose purpose = Purpose.DEFAULT;

    private Builder() {}

    public Builder label(String v) {
      this.label = v;
      return this;
    }

    public Builder id(byte[] v) {
      this.id = v == null ? null : v.clone();
      return this;
    }

    public Builder keyring(String v) {
      this.keyring = v;
      return this;
    }

    public Builder keySize(int v) {
      this.keySize = v;
      return this;
    }

    public Builder curve(String v) {
      this.curve = v;
      return this;
    }

    public Builder purpose(Purpose v) {
      this.purpose = v;
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the bad value and the rule
     */
    public KeyringKeyGenParameterSpec build() {
      if (label != null && label.chars().anyMatch(c -> c < ' ')) {
        throw new IllegalArgumentException("label must not contain control characters");
      }
      if (keyring != null && keyring.isBlank()) {
        throw new IllegalArgumentException("keyring must not be blank");
      }
      if (keySize < 0) {
        throw new IllegalArgumentException("keySize must be >= 0 (0: default), got " + keySize);
      }
      if (label != null
          && label.getBytes(StandardCharsets.UTF_8).length > KeyringLimits.MAX_LABEL_BYTES) {
        throw new IllegalArgumentException(
            "label must be at most " + KeyringLimits.MAX_LABEL_BYTES + " bytes in UTF-8");
      }
      if (id != null && id.length > KeyringLimits.MAX_ID_BYTES) {
        throw new IllegalArgumentException(
            "id must be at most " + KeyringLimits.MAX_ID_BYTES + " bytes, got " + id.length);
      }
      if (purpose == null) {
        throw new IllegalArgumentException("purpose must not be null (DEFAULT: the usual uses)");
      }
      return new KeyringKeyGenParameterSpec(this);
    }
  }
}
