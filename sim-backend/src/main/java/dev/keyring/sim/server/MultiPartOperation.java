package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.MultiPartInput;
import dev.keyring.protocol.ResultCode;

/**
 * A multi-part sign, verify, encrypt or decrypt: the parts are gathered (up to {@link
 * KeyringLimits#MAX_MULTIPART_BYTES}) and the whole input goes to the boundary with the last part.
 * Every part is reserved in the member's {@link BufferBudget} before it is kept; the reservation
 * goes back when the operation ends: handed to the request that finishes it (and released once its
 * answer is written), or released at once when the operation is aborted (a refused part, a failed
 * final, logout, the session closed or expired). The buffer holds the caller's data, never key
 * material.
 */
final class MultiPartOperation {

  enum Kind {
    SIGN,
    VERIFY,
    ENCRYPT,
    DECRYPT
  }

  final Kind kind;
  final long key;
  final Mechanism mechanism;
  final MechanismParams params;
  private final BufferBudget budget;

  // guarded by this
  private MultiPartInput input = new MultiPartInput();
  private long reserved;
  private boolean ended;

  MultiPartOperation(
      Kind kind, long key, Mechanism mechanism, MechanismParams params, BufferBudget budget) {
    this.kind = kind;
    this.key = key;
    this.mechanism = mechanism;
    this.params = params;
    this.budget = budget;
  }

  /**
   * Adds a part, reserving its bytes first.
   *
   * @throws HsmException CKR_DEVICE_MEMORY when the member's budget cannot hold the part,
   *     CKR_DATA_LEN_RANGE past the operation's limit, CKR_OPERATION_NOT_INITIALIZED once ended;
   *     nothing is added or reserved then
   */
  synchronized void append(byte[] part) {
    requireOpen();
    if (part == null || part.length == 0) {
      return;
    }
    if (input.size() + part.length > KeyringLimits.MAX_MULTIPART_BYTES) {
      input.append(part); // refuses with CKR_DATA_LEN_RANGE, adding nothing
    }
    budget.reserve(part.length, "a part of " + part.length + " bytes");
    try {
      input.append(part);
    } catch (RuntimeException e) {
      budget.release(part.length);
      throw e;
    }
    reserved += part.length;
  }

  /** Bytes gathered (and reserved) so far. */
  synchronized long size() {
    return reserved;
  }

  /**
   * Ends the operation and returns its whole input; the reservation moves to {@code lease}, which
   * releases it once the answer is written.
   */
  synchronized byte[] finish(Lease lease) {
    requireOpen();
    byte[] all = input.all();
    ended = true;
    input = null;
    lease.takeOver(reserved, budget);
    reserved = 0;
    return all;
  }

  /** Ends the operation without a result; what it held goes back to the budget. */
  synchronized void abort() {
    if (ended) {
      return;
    }
    ended = true;
    input = null;
    budget.release(reserved);
    reserved = 0;
  }

  private void requireOpen() {
    if (ended) {
      throw new HsmException(
          ResultCode.CKR_OPERATION_NOT_INITIALIZED, "the operation has already ended");
    }
  }

  static Kind parseKind(String kind) {
    if (kind != null) {
      for (Kind k : Kind.values()) {
        if (k.name().equalsIgnoreCase(kind)) {
          return k;
        }
      }
    }
    throw new HsmException(
        ResultCode.CKR_ARGUMENTS_BAD, "operation kind must be sign, verify, encrypt or decrypt");
  }
}
