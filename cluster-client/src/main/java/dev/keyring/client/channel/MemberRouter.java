package dev.keyring.client.channel;

import dev.keyring.client.api.TransportException;
import java.util.List;

/**
 * Chooses members for calls; the recovering channel asks it, and tells it what it saw. Selection
 * rules (affinity group, fewest outstanding requests, read-write members for writes), the cluster
 * view and the background recovery of down members live behind this interface; what to repeat after
 * a failure does not.
 */
public interface MemberRouter {
  /**
   * The member to send the next call to, none of {@code tried}: for a write a read-write one; null
   * when no member fits.
   */
  RoutedMember select(boolean write, List<RoutedMember> tried);

  /**
   * The primary member, if it is up and not in {@code tried}; null otherwise. A router that knows
   * no primary yet (no cluster view) may answer any member: a member that is not the primary
   * refuses what only the primary may answer.
   */
  RoutedMember selectPrimary(List<RoutedMember> tried);

  /** Probes once the down members not in {@code tried}; true if one answered and is up again. */
  boolean probeDownMembers(List<RoutedMember> tried);

  /** Fetches a fresh cluster view now (after a read-only refusal, before refusing a write). */
  void refreshView();

  /** {@code m} failed on the wire: no traffic until it answers a health probe. */
  void markDown(RoutedMember m, TransportException cause);

  /**
   * The failure to report when no member fits {@code what}, with the failures met attached; for a
   * write while some member is up, an {@link dev.keyring.protocol.HsmException}
   * CKR_TOKEN_WRITE_PROTECTED is thrown instead.
   */
  TransportException noMember(boolean write, String what, List<Exception> failures);

  /** False once the client that owns the router is closed. */
  boolean isOpen();
}
