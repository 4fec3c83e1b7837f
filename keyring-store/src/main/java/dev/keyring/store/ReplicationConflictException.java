package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;

/**
 * A change set was not appended because a row's before-image did not match the row as it is: the
 * state changed since the change set was recorded. Nothing was changed. Code CKR_FUNCTION_FAILED.
 */
public final class ReplicationConflictException extends HsmException {
  private static final long serialVersionUID = 1L;

  private final String row;

  /**
   * @param row the row whose before-image did not match, e.g. "keyring 1f0c..."
   */
  public ReplicationConflictException(String row) {
    super(
        ResultCode.CKR_FUNCTION_FAILED,
        row + " changed since the change set was recorded; nothing was changed");
    this.row = row;
  }

  /** The row whose before-image did not match. */
  public String row() {
    return row;
  }
}
