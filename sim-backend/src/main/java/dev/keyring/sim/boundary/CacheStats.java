package dev.keyring.sim.boundary;

/** Counters of the boundary's cache of unwrapped keys. */
public record CacheStats(long hits, long misses, long size) {}
