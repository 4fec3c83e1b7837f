package dev.keyring.client.api;

/**
 * One member of the cluster as a {@link dev.keyring.client.KeyringClient} sees it at one moment:
 * from the cluster view ({@code GET /v1/cluster}) and from the client's own traffic. A read-only
 * snapshot, for monitoring, tests and benchmarks; see {@link
 * dev.keyring.client.KeyringClient#memberStates()}.
 *
 * @param memberId the member's id from the cluster view; null until the view named it
 * @param name the member's name (the CN of its certificate)
 * @param server {@code host:port} the client reaches the member's crypto API at
 * @param group its affinity group; null until the view named it
 * @param primary whether the view names it the primary
 * @param readOnly whether the view says it refuses writes (it cannot reach the primary)
 * @param visible whether the member that answered the view sees it
 * @param registered whether this is the member the client's configuration names ({@code
 *     LNHServerNN})
 * @param up whether it takes traffic; false from a transport failure until a health probe succeeds
 * @param outstanding requests sent to it and not yet answered
 * @param completed requests it answered (results and refusals) since the client opened; health
 *     probes and view fetches are not counted
 * @param sessions physical sessions the client holds on it (the logical sessions' per-member parts)
 */
public record MemberState(
    String memberId,
    String name,
    String server,
    String group,
    boolean primary,
    boolean readOnly,
    boolean visible,
    boolean registered,
    boolean up,
    int outstanding,
    long completed,
    int sessions) {}
