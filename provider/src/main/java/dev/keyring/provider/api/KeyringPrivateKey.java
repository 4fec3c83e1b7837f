package dev.keyring.provider.api;

import java.security.PrivateKey;
import java.security.PublicKey;

/**
 * The private half of a key pair on a keyring. RSA handles also implement {@link
 * java.security.interfaces.RSAKey} and EC handles {@link java.security.interfaces.ECKey}, so that
 * JSSE and other callers can read the public parameters; none implements {@code RSAPrivateKey} or
 * {@code ECPrivateKey}, whose accessors would have to reveal the private value.
 */
public interface KeyringPrivateKey extends KeyringKey, PrivateKey {

  /** The public key of the pair, as an ordinary JDK public key. */
  PublicKey publicKey();
}
