package dev.keyring.sim.boundary;

/** The families of operations for which the boundary picks a crypto engine at start. */
public enum EngineFamily {
  RSA_KEYGEN,
  RSA_PKCS1_SIGN,
  RSA_PSS_SIGN,
  RSA_OAEP,
  RSA_PKCS1_DECRYPT,
  EC_KEYGEN,
  ECDSA,
  ECDH,
  ED25519_KEYGEN,
  ED25519,
  AES_GCM,
  AES_CBC,
  AES_KWP,
  HMAC
}
