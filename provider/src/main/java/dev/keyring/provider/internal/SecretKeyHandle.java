package dev.keyring.provider.internal;

import dev.keyring.protocol.KeyType;
import dev.keyring.provider.api.KeyringSecretKey;

/**
 * A secret key on a keyring: {@code AES}, or a generic secret for HMAC. A generic secret made by
 * {@code KeyGenerator.getInstance("HmacSHA384")} reports {@code HmacSHA384}; read back from the
 * KeyStore it reports {@value #GENERIC}, since a keyring records no intended hash. Every HMAC
 * algorithm accepts it.
 */
final class SecretKeyHandle extends KeyHandle implements KeyringSecretKey {
  private static final long serialVersionUID = 1L;

  /** The algorithm name of a generic secret read from a keyring. */
  static final String GENERIC = "GenericSecret";

  private final transient KeyType type;

  SecretKeyHandle(
      SlotSession slot, long handle, KeyType type, String algorithm, int bits, String label) {
    super(slot, handle, algorithm, bits, label);
    this.type = type;
  }

  KeyType type() {
    return type;
  }

  @Override
  String kind() {
    return "secret key";
  }

  /** Not supported: a keyring key is destroyed with {@code KeyStore.deleteEntry}. */
  @Override
  public boolean isDestroyed() {
    return false;
  }
}
