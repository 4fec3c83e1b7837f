package dev.keyring.client.internal.routing;

/** What the selection rule needs to know about a member, read once per selection. */
public interface RouteCandidate {
  /** The member's affinity group, or null before the cluster view named it. */
  String group();

  /** Whether the member refuses writes (it cannot reach the primary). */
  boolean readOnly();

  /** Whether the member takes traffic: not marked down after a failure. */
  boolean up();

  /** Requests sent to the member and not yet answered. */
  int outstanding();

  /** Whether the cluster view names the member primary (false before a view). */
  default boolean primary() {
    return false;
  }
}
