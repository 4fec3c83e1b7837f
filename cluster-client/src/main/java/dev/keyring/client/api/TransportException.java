package dev.keyring.client.api;

import java.util.Objects;

/**
 * The cluster could not be reached, or the exchange with it broke: the client's TLS identity could
 * not be loaded, the connection was refused, the TLS handshake failed (an unknown or revoked
 * certificate on either side), a timeout expired, or the answer was not in the wire format.
 *
 * <p>Refusals by the member itself (a wrong password, an unknown handle, a locked keyring) are not
 * transport failures: they arrive as {@link dev.keyring.protocol.HsmException} with their
 * PKCS#11-style code. When a call was repeated after a recoverable failure, the earlier failures
 * are attached as {@linkplain #getSuppressed() suppressed} exceptions.
 *
 * <p>Besides its {@link #kind()}, a failure on the wire says whether its request may have reached
 * the member ({@link #requestSent()}) and whether a second attempt on a fresh connection could
 * succeed ({@link #transientFailure()}): the recovering {@link KeyringChannel} decides with them
 * what to repeat.
 */
public class TransportException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What kind of failure this is, so callers can tell configuration from network trouble. */
  public enum Kind {
    /** The client's own files (certificate, key, CA file) could not be read or do not fit. */
    CONFIGURATION,
    /** No connection could be made (refused, unreachable, unknown host, connect timeout). */
    CONNECT,
    /**
     * The TLS handshake failed: the member's or the client's certificate was refused, or the
     * member's certificate does not carry the expected server name.
     */
    TLS,
    /** The connection broke or timed out while the request or its answer was under way. */
    IO,
    /** The member answered something that is not the wire format. */
    PROTOCOL,
    /**
     * The calling thread was interrupted while the call was under way (waiting for a connection,
     * its turn or its answer): nothing is known of the member, which is not marked down, and the
     * call is not repeated. The thread's interrupt status is set again. {@link #requestSent()} says
     * whether the request may have reached the member (a write may then have happened).
     */
    INTERRUPTED,
    /**
     * The client already had as many calls under way to the member as it allows ({@link
     * TransportOptions#maxConnections()} over HTTP/1.1, 256 on a crypto channel connection) and
     * none ended within the call's time limit: the request never left, nothing is known of the
     * member (it is not marked down), and the call is not repeated.
     */
    BUSY
  }

  private final Kind kind;
  private final boolean requestSent;
  private final boolean transientFailure;

  /**
   * A failure of {@code kind}: a {@link Kind#CONNECT} or {@link Kind#BUSY} failure counts as a
   * request that never left, any other as a request that may have been sent; {@link Kind#CONNECT}
   * and {@link Kind#IO} failures are transient.
   */
  public TransportException(Kind kind, String message) {
    this(kind, message, null);
  }

  /** As {@link #TransportException(Kind, String)}, with its cause. */
  public TransportException(Kind kind, String message, Throwable cause) {
    this(
        kind,
        message,
        cause,
        kind != Kind.CONNECT && kind != Kind.CONFIGURATION && kind != Kind.BUSY,
        kind == Kind.CONNECT || kind == Kind.IO);
  }

  /**
   * A failure on the wire.
   *
   * @param requestSent whether the request may have reached the member (false: it never left)
   * @param transientFailure whether a second attempt on a fresh connection could succeed
   */
  public TransportException(
      Kind kind, String message, Throwable cause, boolean requestSent, boolean transientFailure) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.requestSent = requestSent;
    this.transientFailure = transientFailure;
  }

  /** The kind of failure. */
  public Kind kind() {
    return kind;
  }

  /**
   * Whether the failure ended on the caller's side ({@link Kind#INTERRUPTED}, {@link Kind#BUSY}):
   * it says nothing of the member, which is not marked down, and no other member would do better.
   */
  public boolean callerSide() {
    return kind == Kind.INTERRUPTED || kind == Kind.BUSY;
  }

  /**
   * Whether the request may have reached the member: false only when it is known never to have left
   * the client (no connection, or the connection broke before the request started to go out).
   */
  public boolean requestSent() {
    return requestSent;
  }

  /**
   * Whether a second attempt on a fresh connection could succeed: false for TLS, protocol and
   * configuration failures, an unknown host, an expired call deadline, an interrupt and a client
   * busy with its own calls.
   */
  public boolean transientFailure() {
    return transientFailure;
  }
}
