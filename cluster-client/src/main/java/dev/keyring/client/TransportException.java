package dev.keyring.client;

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
    PROTOCOL
  }

  private final Kind kind;

  public TransportException(Kind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public TransportException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  /** The kind of failure. */
  public Kind kind() {
    return kind;
  }
}
