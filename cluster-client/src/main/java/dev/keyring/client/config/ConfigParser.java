package dev.keyring.client.config;

import static dev.keyring.client.config.ConfigSyntax.describe;
import static dev.keyring.client.config.ConfigSyntax.isBlank;
import static dev.keyring.client.config.ConfigSyntax.isLineBreak;

import dev.keyring.client.config.Node.Entry;
import dev.keyring.client.config.Node.Section;
import dev.keyring.client.config.Node.Trivia;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A hand-written recursive-descent parser for the {@code Chrystoki.conf} syntax:
 *
 * <pre>
 * document := item*                          (top level: sections only)
 * item     := section | entry
 * section  := NAME '=' '{' item* '}'
 * entry    := KEY '=' value ';'
 * value    := '"' (char | '\"' | '\\')* '"' | text up to ';' on the same line
 * trivia   := blanks | line end | ('#' | '//') text up to the line end
 * </pre>
 *
 * <p>Trivia may appear between any two items; comments start only where an item could start (at the
 * start of a line, or after <code>{</code>, <code>}</code> or {@code ;}), so a {@code //} or {@code
 * #} inside a value (a URL, say) is part of the value. Names run up to the {@code =} on the same
 * line and may contain blanks ({@code LunaSA Client}). Every character of the input lands in
 * exactly one node, which is what makes rendering byte-exact.
 */
final class ConfigParser {
  private final String source;
  private final String text;
  private int pos;
  private int line = 1;
  private int lineStart;

  private ConfigParser(String source, String text) {
    this.source = source;
    this.text = text;
  }

  /** Parses {@code text} into top-level nodes; errors name {@code source}. */
  static List<Node> parse(String source, String text) {
    return new ConfigParser(source, text).document();
  }

  private record Opened(String name, int line, int column) {}

  private record Seen(String name, int line) {}

  private List<Node> document() {
    List<Node> prefix = new ArrayList<>();
    if (text.startsWith("\uFEFF")) {
      prefix.add(Trivia.blank("\uFEFF"));
      pos = 1;
      lineStart = 1;
    }
    prefix.addAll(items(null));
    return prefix;
  }

  /** Parses items up to the end of the input (top level) or the brace that closes {@code open}. */
  private List<Node> items(Opened open) {
    List<Node> out = new ArrayList<>();
    Map<String, Seen> seen = new HashMap<>();
    while (true) {
      trivia(out);
      if (eof()) {
        if (open != null) {
          throw error(
              open.line(),
              open.column(),
              "section '"
                  + open.name()
                  + "' is not closed: expected '}' before the end of the file (line "
                  + line
                  + ")");
        }
        return out;
      }
      if (peek() == '}') {
        if (open == null) {
          throw error(line, column(), "unexpected '}': no section is open here");
        }
        pos++;
        return out;
      }
      Node item = item(open, seen);
      out.add(item);
      if (item instanceof Section s) {
        checkRestOfLineAfterBrace(s, open != null);
      }
    }
  }

  private Node item(Opened open, Map<String, Seen> seen) {
    int start = pos;
    int startLine = line;
    int startColumn = column();
    while (!eof() && "=;{}\"".indexOf(peek()) < 0 && !isLineBreak(peek())) {
      pos++;
    }
    String name = stripTrailingBlanks(text.substring(start, pos));
    int nameEnd = start + name.length();
    if (eof() || peek() != '=') {
      throw missingEquals(open, name, start, startColumn);
    }
    if (name.isEmpty()) {
      throw error(line, column(), "expected a key or section name before '='");
    }
    pos++; // '='
    skipBlanks();
    if (!eof() && peek() == '{') {
      pos++;
      remember(seen, open, name, true, startLine, startColumn);
      String opener = text.substring(nameEnd, pos);
      List<Node> body = items(new Opened(name, startLine, startColumn));
      return new Section(name, opener, body, startLine);
    }
    if (open == null) {
      throw error(
          line,
          column(),
          "expected '{' after '"
              + name
              + " =': outside a section only 'Name = { ... }' sections may appear");
    }
    String separator = text.substring(nameEnd, pos);
    int valueStart = pos;
    String raw;
    String value;
    if (!eof() && peek() == '"') {
      raw = quoted(name, open);
      value = ConfigSyntax.decodeQuoted(raw);
    } else {
      while (!eof() && peek() != ';' && !isLineBreak(peek())) {
        pos++;
      }
      raw = stripTrailingBlanks(text.substring(valueStart, pos));
      value = raw;
      pos = valueStart + raw.length();
    }
    int valueEnd = pos;
    skipBlanks();
    if (eof() || peek() != ';') {
      boolean atLineEnd = eof() || isLineBreak(peek());
      String found = atLineEnd ? "" : ", found " + describe(peek());
      throw error(
          line,
          atLineEnd ? valueEnd - lineStart + 1 : column(),
          "expected ';' after the value of '" + name + "'" + found);
    }
    pos++;
    remember(seen, open, name, false, startLine, startColumn);
    return new Entry(name, separator, raw, value, text.substring(valueEnd, pos), startLine);
  }

  private String quoted(String key, Opened open) {
    int start = pos;
    int quoteColumn = column();
    pos++;
    while (true) {
      if (eof() || isLineBreak(peek())) {
        throw error(
            line,
            quoteColumn,
            "the quoted value of '"
                + key
                + "' in section '"
                + open.name()
                + "' is not closed: expected '\"' before the end of the line");
      }
      char c = peek();
      if (c == '\\' && pos + 1 < text.length()) {
        char next = text.charAt(pos + 1);
        if (next == '"' || next == '\\') {
          pos += 2;
          continue;
        }
      }
      pos++;
      if (c == '"') {
        return text.substring(start, pos);
      }
    }
  }

  private ConfigFileException missingEquals(Opened open, String name, int start, int startColumn) {
    if (name.isEmpty()) {
      char c = peek();
      if (c == '{') {
        return error(line, column(), "expected a section name before '{'");
      }
      if (c == '"') {
        return error(line, column(), "unexpected '\"': keys and section names are not quoted");
      }
      return error(line, column(), "unexpected " + describe(c) + ": expected a key or a section");
    }
    if (open == null && name.startsWith("[")) {
      return error(
          line,
          startColumn,
          "expected 'Name = {' to open a section, found '"
              + name
              + "' ('[Name]' headers belong to the Windows crystoki.ini format)");
    }
    if (!eof() && peek() == '{') {
      return error(line, column(), "expected '=' between the section name '" + name + "' and '{'");
    }
    int blank = firstBlank(name);
    if (!eof() && peek() == ';' && blank > 0) {
      String key = name.substring(0, blank);
      return error(line, startColumn + blank, "expected '=' after the key '" + key + "'");
    }
    String found = eof() || isLineBreak(peek()) ? "" : ", found " + describe(peek());
    int at = eof() || isLineBreak(peek()) ? start + name.length() : pos;
    return error(line, at - lineStart + 1, "expected '=' after '" + name + "'" + found);
  }

  private void remember(
      Map<String, Seen> seen,
      Opened open,
      String name,
      boolean isSection,
      int itemLine,
      int itemColumn) {
    Seen first = seen.putIfAbsent(ConfigSyntax.fold(name), new Seen(name, itemLine));
    if (first == null) {
      return;
    }
    String what = isSection ? "section" : "key";
    String where = open == null ? "" : " in section '" + open.name() + "'";
    String spelling =
        first.name().equals(name)
            ? ""
            : " (first written '" + first.name() + "'; names are compared without regard to case)";
    throw error(
        itemLine,
        itemColumn,
        "duplicate "
            + what
            + " '"
            + name
            + "'"
            + where
            + " on lines "
            + first.line()
            + " and "
            + itemLine
            + spelling
            + "; keep only one");
  }

  /** After a section's closing brace only blanks and a comment may follow on the same line. */
  private void checkRestOfLineAfterBrace(Section closed, boolean nested) {
    int p = pos;
    while (p < text.length() && isBlank(text.charAt(p))) {
      p++;
    }
    if (p == text.length()) {
      return;
    }
    char c = text.charAt(p);
    if (isLineBreak(c) || c == '#' || text.startsWith("//", p) || (nested && c == '}')) {
      return;
    }
    throw error(
        line,
        p - lineStart + 1,
        "unexpected "
            + describe(c)
            + " after the '}' that closes section '"
            + closed.name()
            + "': expected the end of the line");
  }

  /** Consumes blanks, comments and line ends into {@code out}. */
  private void trivia(List<Node> out) {
    while (!eof()) {
      char c = peek();
      int start = pos;
      if (isBlank(c)) {
        skipBlanks();
        out.add(Trivia.blank(text.substring(start, pos)));
      } else if (c == '\r' || c == '\n') {
        pos += c == '\r' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n' ? 2 : 1;
        out.add(Trivia.lineEnd(text.substring(start, pos)));
        line++;
        lineStart = pos;
      } else if (c == '#' || text.startsWith("//", pos)) {
        while (!eof() && !isLineBreak(peek())) {
          pos++;
        }
        out.add(new Trivia(Trivia.Kind.COMMENT, text.substring(start, pos)));
      } else {
        return;
      }
    }
  }

  private void skipBlanks() {
    while (!eof() && isBlank(peek())) {
      pos++;
    }
  }

  private static String stripTrailingBlanks(String s) {
    int end = s.length();
    while (end > 0 && isBlank(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }

  private static int firstBlank(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (isBlank(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private boolean eof() {
    return pos >= text.length();
  }

  private char peek() {
    return text.charAt(pos);
  }

  private int column() {
    return pos - lineStart + 1;
  }

  private ConfigFileException error(int atLine, int atColumn, String detail) {
    return new ConfigFileException(source, atLine, atColumn, detail);
  }
}
