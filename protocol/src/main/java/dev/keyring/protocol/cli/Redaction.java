package dev.keyring.protocol.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Keeps passwords given on a command line out of what the command prints back: error messages that
 * echo arguments, and the list of arguments it did not understand.
 */
public final class Redaction {
  /** What a hidden value is replaced with. */
  public static final String MASK = "****";

  private Redaction() {}

  /**
   * Replaces, in {@code message}, every value that followed a password option in {@code args}. A
   * password option is one whose name contains "password" or ends in "pw" ({@code -password},
   * {@code --sopassword}, {@code -newpw}), given as {@code -opt value} or {@code -opt=value}; a
   * {@code ...-file} option names a file, not a password, and is left alone.
   */
  public static String redact(String message, String[] args) {
    String out = message;
    for (String secret : passwords(args)) {
      if (!secret.isEmpty()) {
        out = out.replace(secret, MASK);
      }
    }
    return out;
  }

  /** The values that follow password options in {@code args}, in order. */
  static List<String> passwords(String[] args) {
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i].toLowerCase(Locale.ROOT);
      if (!a.startsWith("-")) {
        continue;
      }
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      if (!(name.contains("password") || name.endsWith("pw")) || name.endsWith("-file")) {
        continue;
      }
      if (eq > 0) {
        secrets.add(args[i].substring(eq + 1));
      } else if (i + 1 < args.length) {
        secrets.add(args[i + 1]);
      }
    }
    return secrets;
  }

  /**
   * Names the unknown options, never their values: {@code -opt=value} is shown as {@code -opt=...},
   * and a word right after an option (a misspelt password option's value, say) is counted, not
   * shown.
   *
   * @param unmatched the arguments the parser did not understand
   * @param args the whole command line
   */
  public static String unmatched(List<String> unmatched, String[] args) {
    List<String> shown = new ArrayList<>();
    int hidden = 0;
    for (String u : unmatched) {
      if (u.startsWith("-")) {
        int eq = u.indexOf('=');
        shown.add("'" + (eq > 0 ? u.substring(0, eq) + "=..." : u) + "'");
      } else if (followsOption(u, args)) {
        hidden++;
      } else {
        shown.add("'" + u + "'");
      }
    }
    StringBuilder sb = new StringBuilder("unknown or unexpected argument(s): ");
    sb.append(shown.isEmpty() ? "-" : String.join(", ", shown));
    if (hidden > 0) {
      sb.append(" (and ").append(hidden).append(hidden == 1 ? " value" : " values");
      sb.append(" not shown: it may be a password)");
    }
    return sb.toString();
  }

  private static boolean followsOption(String word, String[] args) {
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals(word) && args[i - 1].startsWith("-")) {
        return true;
      }
    }
    return false;
  }
}
