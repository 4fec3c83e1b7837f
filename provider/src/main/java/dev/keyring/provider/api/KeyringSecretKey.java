package dev.keyring.provider.api;

import javax.crypto.SecretKey;

/** A secret key (AES or HMAC) on a keyring. */
public interface KeyringSecretKey extends KeyringKey, SecretKey {}
