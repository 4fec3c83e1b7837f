package dev.keyring.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * The serial number of a keyring slot: twelve decimal digits (no leading zero) computed from the
 * keyring's UUID, so it never changes, every member of the cluster shows the same one without
 * storing it, and it travels with the keyring wherever the UUID does (replication, backups). The
 * member that creates a keyring picks another UUID when the serial would repeat one of the
 * cluster's, so serials are unique within a cluster.
 *
 * <p>An HA group's number is {@code "1"} followed by the serial of its primary member ({@link
 * #groupNumber}), as HSM clients number their virtual slots.
 */
public final class KeyringSerial {
  /** The number of digits of every serial. */
  public static final int DIGITS = 12;

  private static final long LOWEST = 100_000_000_000L;
  private static final long SPAN = 900_000_000_000L;
  private static final byte[] PURPOSE = "keyring serial v1\0".getBytes(StandardCharsets.US_ASCII);

  private KeyringSerial() {}

  /** The serial of the keyring with this UUID. */
  public static String of(UUID keyringId) {
    if (keyringId == null) {
      throw new IllegalArgumentException("keyringId is required");
    }
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(PURPOSE);
      d.update(
          ByteBuffer.allocate(16)
              .putLong(keyringId.getMostSignificantBits())
              .putLong(keyringId.getLeastSignificantBits())
              .array());
      long v = ByteBuffer.wrap(d.digest()).getLong() >>> 1;
      return Long.toString(LOWEST + v % SPAN);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** Whether {@code text} has the form of a serial (twelve digits, the first not 0). */
  public static boolean isSerial(String text) {
    return text != null && text.matches("[1-9][0-9]{" + (DIGITS - 1) + "}");
  }

  /** The number of an HA group whose primary member has serial {@code primarySerial}. */
  public static String groupNumber(String primarySerial) {
    if (!isSerial(primarySerial)) {
      throw new IllegalArgumentException(
          "an HA group number is made from a member serial of " + DIGITS + " digits");
    }
    return "1" + primarySerial;
  }
}
