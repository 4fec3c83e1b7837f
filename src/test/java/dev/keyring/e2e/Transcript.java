package dev.keyring.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands a test ran and what they printed, as Markdown: each command line (password values
 * masked) with its output and exit code. {@link #sanitized} replaces the values that change from
 * run to run (UUIDs, ports, fingerprints, paths, times) with placeholders.
 */
final class Transcript {
  private static final Pattern UUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern FINGERPRINT =
      Pattern.compile("(?:[0-9A-F]{2}:){31}[0-9A-F]{2}|\\b[0-9a-f]{64}\\b");
  private static final Pattern TIME =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?Z");

  private final StringBuilder md = new StringBuilder();

  Transcript(String title, String intro) {
    md.append("# ").append(title).append("\n\n").append(intro).append("\n");
  }

  void section(String title, String text) {
    md.append("\n## ").append(title).append("\n\n");
    if (text != null && !text.isEmpty()) {
      md.append(text).append("\n\n");
    }
  }

  void command(String tool, List<String> args, int exit, String out, String err) {
    md.append("```console\n$ ").append(tool);
    boolean secretNext = false;
    for (String a : args) {
      String shown = secretNext ? "****" : a;
      secretNext = false;
      String lower = a.toLowerCase(Locale.ROOT);
      if (lower.startsWith("-")
          && (lower.contains("pas") || lower.contains("pw"))
          && !lower.endsWith("-file")) {
        secretNext = true;
      }
      md.append(' ').append(shown.isEmpty() || shown.contains(" ") ? "'" + shown + "'" : shown);
    }
    md.append('\n');
    append(out);
    append(err);
    md.append("[exit ").append(exit).append("]\n```\n");
  }

  private void append(String text) {
    if (text == null || text.isEmpty()) {
      return;
    }
    md.append(text.replace("\r\n", "\n"));
    if (!text.endsWith("\n")) {
      md.append('\n');
    }
  }

  String text() {
    return md.toString();
  }

  /**
   * The text with {@code literals} (value to placeholder, longest first) replaced, UUIDs numbered
   * in order of appearance, and fingerprints and times replaced.
   */
  String sanitized(Map<String, String> literals) {
    String s = md.toString();
    for (Map.Entry<String, String> e :
        literals.entrySet().stream()
            .sorted((a, b) -> b.getKey().length() - a.getKey().length())
            .toList()) {
      s = aligned(s, Pattern.compile(Pattern.quote(e.getKey())), x -> e.getValue());
    }
    Map<String, String> uuids = new LinkedHashMap<>();
    s =
        aligned(
            s,
            UUID,
            x ->
                uuids.computeIfAbsent(
                    x.toLowerCase(Locale.ROOT), k -> "<uuid-" + (uuids.size() + 1) + ">"));
    s = aligned(s, FINGERPRINT, x -> "<fingerprint>");
    return aligned(s, TIME, x -> "<time>");
  }

  /**
   * Replaces every match; where a table column follows (two spaces or more), the gap is widened or
   * narrowed (down to two spaces) so that the columns stay aligned.
   */
  private static String aligned(String s, Pattern p, Function<String, String> replacement) {
    Matcher m = p.matcher(s);
    StringBuilder sb = new StringBuilder();
    int at = 0;
    while (m.find(at)) {
      String r = replacement.apply(m.group());
      sb.append(s, at, m.start()).append(r);
      at = m.end();
      int spaces = 0;
      while (at + spaces < s.length() && s.charAt(at + spaces) == ' ') {
        spaces++;
      }
      if (spaces >= 2 && at + spaces < s.length() && s.charAt(at + spaces) != '\n') {
        int gap = Math.max(2, spaces + m.group().length() - r.length());
        sb.append(" ".repeat(gap));
        at += spaces;
      }
    }
    sb.append(s, at, s.length());
    return sb.toString();
  }

  static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
