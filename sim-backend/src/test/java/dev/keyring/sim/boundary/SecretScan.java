package dev.keyring.sim.boundary;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Finds a secret in bytes: raw, as hex (either case) or as Base64 (standard or URL, padded or not).
 * For the tests that check that no key material leaves the boundary (stores, backups, answers).
 */
public final class SecretScan {
  private SecretScan() {}

  /** Whether {@code needle} stands in {@code hay} raw, as hex or as Base64. */
  public static boolean anyForm(byte[] hay, byte[] needle) {
    String text = new String(hay, StandardCharsets.ISO_8859_1);
    return indexOf(hay, needle) >= 0
        || text.toLowerCase(java.util.Locale.ROOT).contains(HexFormat.of().formatHex(needle))
        || text.contains(Base64.getEncoder().encodeToString(needle))
        || text.contains(Base64.getEncoder().withoutPadding().encodeToString(needle))
        || text.contains(Base64.getUrlEncoder().withoutPadding().encodeToString(needle));
  }

  /** Where {@code needle} first stands in {@code hay}, raw; -1 if nowhere. */
  public static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
