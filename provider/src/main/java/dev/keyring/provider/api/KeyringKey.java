package dev.keyring.provider.api;

import java.security.Key;
import java.util.UUID;

/**
 * A key that lives on a keyring: a handle to it, never its value. {@link #getFormat()} and {@link
 * #getEncoded()} return {@code null}; the key cannot be serialized; {@code toString()} shows its
 * algorithm, size and label only.
 */
public interface KeyringKey extends Key {

  /** The keyring that holds the key. */
  UUID keyringId();

  /** The key's label on the keyring (its KeyStore alias), possibly empty. */
  String label();

  /** The object handle of the key on its keyring. */
  long objectHandle();

  /**
   * The key size in bits (the modulus for RSA, the field for EC, 255 for Ed25519, the secret's
   * length when known), or -1 for a secret key read from a KeyStore (keyrings do not record it).
   */
  int bits();
}
