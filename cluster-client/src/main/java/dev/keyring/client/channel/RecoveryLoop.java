package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The loop of {@link RecoveringChannel}: it sends one call to the members a {@link MemberRouter}
 * chooses, one attempt at a time, and applies the table of {@link CallKind} to each failure. The
 * recovering channel is its only user (with {@link PhysicalSessions}, for the attempts on one
 * member); nothing below it calls back here.
 */
final class RecoveryLoop {
  private RecoveryLoop() {}

  /** A call made on one member, chosen by the router. */
  @FunctionalInterface
  interface MemberCall<T> {
    T apply(RoutedMember member) throws TransportException;
  }

  /** One attempt of a call on the wire. */
  @FunctionalInterface
  interface Attempt<T> {
    T run() throws TransportException;
  }

  /** What one call met so far: members tried, failures, and the steps taken once. */
  private static final class Trail {
    final List<RoutedMember> tried = new ArrayList<>();
    final List<Exception> failures = new ArrayList<>();
    boolean refreshedForSelection;
    boolean refreshedForBehind;
    boolean probed;
    boolean toPrimary;
    HsmException behind;
    HsmException deviceError;
  }

  /**
   * Runs {@code call} on a member {@code router} chooses, failing over as {@code kind} says.
   *
   * @throws HsmException as the member refused, or CKR_TOKEN_WRITE_PROTECTED when no member accepts
   *     writes, or CKR_MEMBER_BEHIND when every member that could answer was behind
   * @throws TransportException when no member could serve the call, with the failures met attached
   */
  static <T> T route(MemberRouter router, CallKind kind, String what, MemberCall<T> call)
      throws TransportException {
    return route(router, Hedging.off(), kind, what, call);
  }

  /**
   * As {@link #route(MemberRouter, CallKind, String, MemberCall)}; a call of a kind {@code hedging}
   * applies to is hedged on a second member and abandoned at the deadline as it says.
   */
  static <T> T route(
      MemberRouter router, Hedging hedging, CallKind kind, String what, MemberCall<T> call)
      throws TransportException {
    boolean hedged = hedging.applies(kind);
    boolean write = kind.write();
    Trail t = new Trail();
    t.toPrimary = kind.primary();
    while (true) {
      if (!router.isOpen()) {
        throw new IllegalStateException("this KeyringClient is closed");
      }
      RoutedMember m = select(router, kind, t);
      if (m == null && !t.probed) {
        // last resort before failing: a down member may be back before the next background probe
        t.probed = true;
        if (router.probeDownMembers(t.tried)) {
          continue;
        }
      }
      if (m == null && (write || kind.primary()) && !t.refreshedForSelection) {
        // the view in hand may predate a promotion: ask for a fresh one before giving up
        t.refreshedForSelection = true;
        router.refreshView();
        continue;
      }
      if (m == null && t.behind != null) {
        HsmException e = t.behind;
        t.failures.remove(e);
        t.failures.forEach(e::addSuppressed);
        throw e;
      }
      if (m == null && t.deviceError != null) {
        // every member that could answer failed on its own store: the last refusal is the answer
        HsmException e = t.deviceError;
        t.failures.remove(e);
        t.failures.forEach(e::addSuppressed);
        throw e;
      }
      if (m == null) {
        throw router.noMember(write, what, t.failures);
      }
      t.tried.add(m);
      boolean answered = false;
      m.begin();
      try {
        T result = hedged ? hedging.attempt(router, m, t.tried, kind, what, call) : call.apply(m);
        answered = true;
        return result;
      } catch (TransportException e) {
        if (!CallKind.memberFailure(e)) {
          // nothing is known of the member (an interrupted caller, a client busy with its own
          // calls, a refused certificate...): it is not marked down, and the call ends here
          if (write && e.requestSent() && e.kind() == TransportException.Kind.INTERRUPTED) {
            throw notRepeated(what, m, e, t.failures);
          }
          t.failures.forEach(e::addSuppressed);
          throw e;
        }
        router.markDown(m, e);
        if (!kind.elsewhereAfter(e)) {
          throw notRepeated(what, m, e, t.failures);
        }
        t.failures.add(e);
      } catch (HsmException e) {
        answered = true;
        if (kind.elsewhereAfter(e.code()) && !t.refreshedForSelection) {
          t.refreshedForSelection = true;
          t.failures.add(e);
          router.refreshView();
          continue;
        }
        if (kind.toPrimaryAfter(e.code())) {
          // the member did nothing: the primary holds every acknowledged write
          t.failures.add(e);
          t.behind = e;
          t.toPrimary = true;
          if (!t.refreshedForBehind) {
            t.refreshedForBehind = true;
            router.refreshView();
          }
          continue;
        }
        if (kind.elsewhereAfterDeviceError(e.code())) {
          // the member's store failed; a read changes nothing, so another member answers it
          t.failures.add(e);
          t.deviceError = e;
          continue;
        }
        t.failures.forEach(e::addSuppressed);
        throw e;
      } finally {
        m.end(answered);
      }
    }
  }

  /**
   * The next member: the primary when the call needs it or a member was behind (for a call that
   * does not need the primary, another member when the primary was tried or is not known).
   */
  private static RoutedMember select(MemberRouter router, CallKind kind, Trail t) {
    if (!t.toPrimary) {
      return router.select(kind.write(), t.tried);
    }
    RoutedMember p = router.selectPrimary(t.tried);
    return p != null || kind.primary() ? p : router.select(kind.write(), t.tried);
  }

  private static TransportException notRepeated(
      String what, RoutedMember m, TransportException e, List<Exception> failures) {
    TransportException t =
        new TransportException(
            e.kind(),
            what
                + " on "
                + m.describe()
                + " failed before an answer came, so the write may or may not have"
                + " happened; it is not repeated: check (find the object) before trying"
                + " again. "
                + e.getMessage(),
            e);
    failures.forEach(t::addSuppressed);
    return t;
  }

  /** An attempt on the wire, made once more on the same member when {@code kind} allows it. */
  static <T> T onWire(CallKind kind, MemberRouter router, Attempt<T> attempt)
      throws TransportException {
    try {
      return attempt.run();
    } catch (TransportException first) {
      if (!router.isOpen()
          || AttemptScope.current().abandoned()
          || !kind.againOnSameMember(first)) {
        throw first;
      }
      try {
        return attempt.run();
      } catch (TransportException second) {
        if (second != first) {
          second.addSuppressed(first);
        }
        throw second;
      }
    }
  }
}
