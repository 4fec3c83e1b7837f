package dev.keyring.client.api;

import java.util.Objects;

/**
 * A key pair generated on a keyring.
 *
 * @param publicKey the public key object
 * @param privateKey the private key object (its value never leaves the member)
 */
public record KeyringKeyPair(KeyringObject publicKey, KeyringObject privateKey) {
  public KeyringKeyPair {
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(privateKey, "privateKey");
  }
}
