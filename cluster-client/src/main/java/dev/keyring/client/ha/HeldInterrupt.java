package dev.keyring.client.ha;

import dev.keyring.client.api.TransportException;

/**
 * The caller's interrupt, held back while an operation of the whole group goes on to every member
 * (a copy, a change, a deletion, a login): the call it cut off is handled as a failure of that one
 * member, and the interrupt is set again when the operation ends ({@link #close}). Without it, the
 * interrupt status the cut-off call leaves set fails the call on each member that follows at once,
 * each of them is taken out of rotation in turn, and one interrupted application thread leaves the
 * whole group down until its members are recovered.
 */
final class HeldInterrupt implements AutoCloseable {
  private boolean held;

  /** After {@code e} on one member: an interrupt is cleared until {@link #close}. */
  void note(TransportException e) {
    if (e.kind() == TransportException.Kind.INTERRUPTED) {
      Thread.interrupted();
      held = true;
    }
  }

  /**
   * Whether {@code e} ends the operation: an interrupt stopped the call before it was sent, and the
   * operation was made on no member yet ({@code started} false), so nothing happened anywhere and
   * no member is marked down. Otherwise the interrupt is held back ({@link #note}) and the failure
   * is handled as the member's.
   */
  boolean stops(TransportException e, boolean started) {
    if (e.kind() == TransportException.Kind.INTERRUPTED && !e.requestSent() && !started) {
      return true;
    }
    note(e);
    return false;
  }

  /** Sets the caller's interrupt status again if a call was cut off by it. */
  @Override
  public void close() {
    if (held) {
      Thread.currentThread().interrupt();
    }
  }
}
