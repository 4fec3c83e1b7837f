package dev.keyring.protocol;

/** Hash functions used by mechanisms and their parameters. */
public enum Digest {
  SHA256("SHA-256", 32),
  SHA384("SHA-384", 48),
  SHA512("SHA-512", 64);

  private final String jcaName;
  private final int length;

  Digest(String jcaName, int length) {
    this.jcaName = jcaName;
    this.length = length;
  }

  /** The JCA standard name, for example {@code SHA-256}. */
  public String jcaName() {
    return jcaName;
  }

  /** Output length in bytes. */
  public int length() {
    return length;
  }

  /** Parses {@code SHA256}, {@code SHA-256} or {@code sha-256}. */
  public static Digest parse(String name) {
    String n = name.replace("-", "").toUpperCase(java.util.Locale.ROOT);
    for (Digest d : values()) {
      if (d.name().equals(n)) {
        return d;
      }
    }
    throw new HsmException(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        "hash is not supported; use SHA-256, SHA-384 or SHA-512");
  }
}
