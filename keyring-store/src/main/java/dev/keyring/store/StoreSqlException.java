package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.sql.SQLException;

/**
 * A failed database call, as the store reports it: CKR_DEVICE_ERROR with "what failed: the
 * database's message". Remembers whether the failure is transient (a lock timeout, deadlock or
 * serialization failure), which is what {@link KeyringStore#write} retries.
 */
final class StoreSqlException extends HsmException {
  private static final long serialVersionUID = 1L;

  private final boolean transientFailure;

  private StoreSqlException(String message, Throwable cause, boolean transientFailure) {
    super(ResultCode.CKR_DEVICE_ERROR, message, cause);
    this.transientFailure = transientFailure;
  }

  /** Wraps {@code e} as "{@code what}: {@code e}'s message". */
  static StoreSqlException wrap(String what, SQLException e) {
    return new StoreSqlException(what + ": " + e.getMessage(), e, Dialect.isTransient(e));
  }

  /** The same failure, with a note appended to the message, no longer marked transient. */
  StoreSqlException withNote(String note) {
    return new StoreSqlException(detail() + " (" + note + ")", getCause(), false);
  }

  /** A failure caused by this one ("{@code what}: this message"), transient if this one is. */
  StoreSqlException followUp(String what) {
    return new StoreSqlException(what + ": " + detail(), this, transientFailure);
  }

  /** Whether a fresh attempt of the whole transaction may succeed. */
  boolean isTransient() {
    return transientFailure;
  }
}
