package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.Objects;

/**
 * A log entry was not applied because it does not follow this store's log (a gap, or an epoch or
 * sequence that does not match), or because a row's before-image did not match (the store has
 * diverged from the primary's log). Nothing was changed; the store should copy a snapshot. Code
 * CKR_DEVICE_ERROR.
 */
public final class ReplicationGapException extends HsmException {
  private static final long serialVersionUID = 1L;

  private final LogPosition have;

  /**
   * @param message what did not follow
   * @param have the store's position
   */
  public ReplicationGapException(String message, LogPosition have) {
    super(ResultCode.CKR_DEVICE_ERROR, message + " (this store is at " + have + ")");
    this.have = Objects.requireNonNull(have, "have");
  }

  /** The store's log position when the entry was refused. */
  public LogPosition have() {
    return have;
  }
}
