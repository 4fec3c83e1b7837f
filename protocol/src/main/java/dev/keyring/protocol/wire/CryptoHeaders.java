package dev.keyring.protocol.wire;

/**
 * The HTTP headers of the crypto API that carry read-your-writes consistency (see {@code
 * docs/crypto-api.md}). Their values are {@link ClusterPosition}s.
 */
public final class CryptoHeaders {
  /**
   * On an answer: the member's log position once the request was done. Every successful answer to a
   * request that changed the keyring carries it, and every answer to a request read from the
   * primary ({@link #READ_FROM}); the position is at or past the change.
   */
  public static final String LOG_POSITION = "Keyring-Log-Position";

  /**
   * On a request: the highest position of the client's acknowledged writes. A member that does not
   * hold it waits a moment for the primary's entries, then refuses with {@code CKR_MEMBER_BEHIND};
   * the primary answers at once. A position of another cluster is ignored.
   */
  public static final String MIN_POSITION = "Keyring-Min-Position";

  /**
   * On a request, with the value {@value #PRIMARY}: only the primary may answer it; another member
   * refuses with {@code CKR_MEMBER_BEHIND}. For the lookups that decide a destroy or a label
   * change.
   */
  public static final String READ_FROM = "Keyring-Read-From";

  /** The value of {@link #READ_FROM}. */
  public static final String PRIMARY = "primary";

  private CryptoHeaders() {}
}
