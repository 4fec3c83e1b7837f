package dev.keyring.sim.hsm;

import java.util.Map;

/** What can be shown of the partition: no verifiers, no key material. */
public record PartitionInfo(
    String label,
    String version,
    boolean initialized,
    boolean coInitialized,
    boolean coMustChangePassword,
    String cloningDomainFingerprint,
    Map<Integer, Integer> policies,
    String smkFingerprint) {}
