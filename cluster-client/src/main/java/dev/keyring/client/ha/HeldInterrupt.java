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

  /** Sets the caller's interrupt status again if a call was cut off by it. */
  @Override
  public void close() {
    if (held) {
      Thread.currentThread().interrupt();
    }
  }
}
