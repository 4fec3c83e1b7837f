package dev.keyring.provider.api;

/**
 * The kinds of cluster operation the provider counts, one counter each; see {@link
 * dev.keyring.provider.KeyringProvider#operationCount}.
 */
public enum ProviderOperation {
  SIGN,
  VERIFY,
  ENCRYPT,
  DECRYPT,
  WRAP,
  UNWRAP,
  MAC,
  DERIVE,
  GENERATE,
  IMPORT,
  RANDOM
}
