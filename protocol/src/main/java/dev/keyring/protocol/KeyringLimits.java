package dev.keyring.protocol;

import java.nio.charset.StandardCharsets;

/** The limits of a cluster, its keyrings, their objects and the clients. */
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

  /** Bytes an object's CKA_LABEL may have, UTF-8 encoded. */
  public static final int MAX_LABEL_BYTES = 256;

  /** Bytes an object's CKA_ID may have. */
  public static final int MAX_ID_BYTES = 64;

  private KeyringLimits() {}

  /**
   * Refuses attributes an object may not take for their size: a CKA_LABEL over {@value
   * #MAX_LABEL_BYTES} bytes (UTF-8) or a CKA_ID over {@value #MAX_ID_BYTES} bytes, with
   * CKR_ATTRIBUTE_VALUE_INVALID. The message names the attribute and the limit, never the value.
   * Members check every object they create or change (create, generate, unwrap, derive, set).
   */
  public static void checkObjectAttributes(Attributes attrs) {
    String label = attrs.label().orElse(null);
    if (label != null
        && (label.length() > MAX_LABEL_BYTES
            || label.getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_BYTES)) {
      throw new HsmException(
          ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
          "CKA_LABEL is longer than " + MAX_LABEL_BYTES + " bytes (UTF-8)");
    }
    if (attrs.has(AttributeType.CKA_ID)
        && attrs.bytes(AttributeType.CKA_ID).get().length > MAX_ID_BYTES) {
      throw new HsmException(
          ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
          "CKA_ID is longer than " + MAX_ID_BYTES + " bytes");
    }
  }
}
