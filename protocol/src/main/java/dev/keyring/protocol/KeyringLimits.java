package dev.keyring.protocol;

/** The limits of a cluster, its keyrings and its clients. */
public final class KeyringLimits {
  /** Keyrings one cluster may hold. */
  public static final int MAX_KEYRINGS_PER_CLUSTER = 3500;

  /** Objects one keyring may hold. */
  public static final int MAX_OBJECTS_PER_KEYRING = 256;

  /** Keyrings one create call may make. */
  public static final int MAX_KEYRINGS_PER_CREATE = 100;

  /** Clusters one client may be registered with (index 00 to 09). */
  public static final int MAX_CLUSTERS_PER_CLIENT = 10;

  /** Keyrings one client may manage, across all its clusters. */
  public static final int MAX_KEYRINGS_PER_CLIENT = 3500;

  /** Affinity groups one cluster may have. */
  public static final int MAX_AFFINITY_GROUPS = 64;

  /** Failed logins after which a keyring with a short password is locked. */
  public static final int LOCKOUT_THRESHOLD = 10;

  /** Passwords of at most this many characters make a keyring subject to lockout. */
  public static final int LOCKOUT_MAX_PASSWORD_LENGTH = 16;

  /** Failed login attempts with at most this many characters never count toward lockout. */
  public static final int LOCKOUT_IGNORED_ATTEMPT_LENGTH = 6;

  /** Input one multi-part operation may gather in all: 64 MiB. */
  public static final int MAX_MULTIPART_BYTES = 64 << 20;

  private KeyringLimits() {}
}
