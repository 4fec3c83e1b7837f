package dev.keyring.protocol;

import java.util.Locale;

/**
 * Reads the system properties that give defaults or switches (the client's wire, hedging, spin and
 * coalescing; the member channel's switches), each with the same rules: unset or blank means the
 * default, white space around the value is ignored, and a bad value is refused naming the property,
 * what it takes and the value given.
 */
public final class SystemProperties {
  private SystemProperties() {}

  /**
   * The system property {@code name} as {@code true} or {@code false} (any case), or {@code dflt}
   * when it is not set.
   *
   * @throws IllegalArgumentException when it is set to anything else
   */
  public static boolean flag(String name, boolean dflt) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    switch (v.strip().toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new IllegalArgumentException(
            "system property " + name + " must be true or false, got '" + v + "'");
    }
  }

  /**
   * The system property {@code name} as a whole number of {@code unit} from 0 to {@code max}, or
   * {@code dflt} when it is not set.
   *
   * @throws IllegalArgumentException when it is set to anything else
   */
  public static long wholeNumber(String name, long dflt, long max, String unit) {
    return wholeNumber(name, dflt, 0, max, unit);
  }

  /**
   * The system property {@code name} as a whole number of {@code unit} from {@code min} to {@code
   * max}, or {@code dflt} when it is not set.
   *
   * @throws IllegalArgumentException when it is set to anything else
   */
  public static long wholeNumber(String name, long dflt, long min, long max, String unit) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    long n = 0;
    boolean ok;
    try {
      n = Long.parseLong(v.strip());
      ok = n >= min && n <= max;
    } catch (NumberFormatException e) {
      ok = false;
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "system property "
              + name
              + " must be a whole number of "
              + unit
              + " from "
              + min
              + " to "
              + max
              + ", got '"
              + v
              + "'");
    }
    return n;
  }
}
