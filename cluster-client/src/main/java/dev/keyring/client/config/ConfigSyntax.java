package dev.keyring.client.config;

import java.util.Locale;

/** Lexical rules of the file format shared by the parser and the editing methods. */
final class ConfigSyntax {
  private ConfigSyntax() {}

  /** The form under which keys and section names are compared: Luna ignores their case. */
  static String fold(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  static boolean isLineBreak(char c) {
    return c == '\n' || c == '\r';
  }

  /** Decodes a quoted value including its quotes: {@code \"} and {@code \\} are escapes. */
  static String decodeQuoted(String raw) {
    StringBuilder out = new StringBuilder(raw.length());
    for (int i = 1; i < raw.length() - 1; i++) {
      char c = raw.charAt(i);
      if (c == '\\' && i + 1 < raw.length() - 1) {
        char next = raw.charAt(i + 1);
        if (next == '"' || next == '\\') {
          out.append(next);
          i++;
          continue;
        }
      }
      out.append(c);
    }
    return out.toString();
  }

  /**
   * Writes {@code value} as it must appear between the separator and the terminator. The value is
   * quoted when {@code preferQuoted} is set or when it could not be read back otherwise.
   */
  static String encodeValue(String value, boolean preferQuoted) {
    checkValue(value);
    if (!preferQuoted && !needsQuotes(value)) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  private static boolean needsQuotes(String value) {
    if (value.isEmpty()) {
      return false;
    }
    char first = value.charAt(0);
    return value.indexOf(';') >= 0
        || first == '"'
        || first == '{'
        || isBlank(first)
        || isBlank(value.charAt(value.length() - 1));
  }

  static void checkValue(String value) {
    if (value == null) {
      throw new NullPointerException("value");
    }
    for (int i = 0; i < value.length(); i++) {
      if (isLineBreak(value.charAt(i))) {
        throw new IllegalArgumentException(
            "a value must fit on one line, got a line break at index " + i + " of " + quote(value));
      }
    }
  }

  /**
   * Checks that {@code name} can be written as a key or section name and read back unchanged.
   *
   * @param what "key" or "section name", for the message
   */
  static void checkName(String what, String name) {
    if (name == null) {
      throw new NullPointerException(what);
    }
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a " + what + " must not be empty");
    }
    if (isBlank(name.charAt(0)) || isBlank(name.charAt(name.length() - 1))) {
      throw new IllegalArgumentException(
          "a " + what + " must not start or end with blanks, got " + quote(name));
    }
    if (name.startsWith("#") || name.startsWith("//") || name.startsWith("[")) {
      throw new IllegalArgumentException(
          "a " + what + " must not start with '#', '//' or '[', got " + quote(name));
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if ("=;{}\"".indexOf(c) >= 0 || (Character.isISOControl(c) && c != '\t')) {
        throw new IllegalArgumentException(
            "a "
                + what
                + " must not contain "
                + describe(c)
                + " (found at index "
                + i
                + " of "
                + quote(name)
                + ")");
      }
    }
  }

  static String quote(String s) {
    return "'" + s + "'";
  }

  static String describe(char c) {
    switch (c) {
      case '\n':
        return "a line break";
      case '\r':
        return "a carriage return";
      case '\t':
        return "a tab";
      default:
        if (Character.isISOControl(c)) {
          return String.format("control character U+%04X", (int) c);
        }
        return "'" + c + "'";
    }
  }
}
