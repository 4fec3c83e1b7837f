package dev.keyring.testing.wycheproof;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;

/**
 * Thrown by a {@link WycheproofSubject.Case} when the case was refused in one of the documented
 * ways for bad input (a signature that does not verify, a tag that does not match, an exception the
 * API declares for it, a result code the operation documents). {@link #kind} names the way, for the
 * per-file tally.
 */
public final class WycheproofRejection extends Exception {
  private static final long serialVersionUID = 1L;

  private final String kind;

  public WycheproofRejection(String kind, String detail, Throwable cause) {
    super(kind + (detail == null || detail.isEmpty() ? "" : ": " + detail), cause);
    this.kind = kind;
  }

  public WycheproofRejection(String kind) {
    this(kind, null, null);
  }

  /** How the case was refused, e.g. "verify() = false" or "doFinal: AEADBadTagException". */
  public String kind() {
    return kind;
  }

  /**
   * A refusal by exception {@code e} at {@code stage} (a JCA call), tallied with the cluster's
   * result code when the cluster refused. A failure to reach the cluster is no refusal of the case:
   * it fails the test whatever the case's result.
   */
  public static WycheproofRejection by(String stage, Exception e) {
    String code = "";
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TransportException) {
        throw new AssertionError(
            stage + " failed to reach the cluster, which is no verdict on the case: " + e, e);
      }
      if (t instanceof HsmException) {
        code = " (" + ((HsmException) t).code() + ")";
        break;
      }
    }
    return new WycheproofRejection(
        stage + ": " + e.getClass().getSimpleName() + code, e.getMessage(), e);
  }
}
