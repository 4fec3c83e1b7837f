package dev.keyring.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Generates random files (sections, keys, values, comments, blanks, line endings, quoting, one-line
 * and nested sections) from a fixed seed, and checks them against a model of what they say.
 */
class ConfigFileRoundTripPropertyTest {
  private static final long SEED = 0x4b45_5952_494eL;
  private static final int FILES = 200;

  private static final String NAME_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final String NAME_REST = NAME_START + "0123456789_-.";
  private static final String VALUE_CHARS = "abcdefXYZ0123456789 ./:-_,#@%+=!?()[]'~éü\"\\;{}\t";
  private static final String COMMENT_CHARS = VALUE_CHARS + "}=*";

  /** What a generated file says: sections in order, each with its entries in order. */
  private static final class Model {
    final Map<String, Map<String, String>> sections = new LinkedHashMap<>();
    final Map<String, Set<String>> reserved = new LinkedHashMap<>(); // folded names per section

    Optional<String> sectionNamed(String name) {
      return sections.keySet().stream().filter(s -> s.equalsIgnoreCase(name)).findFirst();
    }

    Optional<String> keyNamed(String section, String key) {
      return sections.get(section).keySet().stream()
          .filter(k -> k.equalsIgnoreCase(key))
          .findFirst();
    }
  }

  private final Random random = new Random(SEED);
  private String eol;

  @Test
  void randomFiles_renderByteExact_andReadAsTheirModel_beforeAndAfterEdits() {
    for (int i = 0; i < FILES; i++) {
      Model model = new Model();
      String text = file(model);
      String context = "file #" + i + ":\n" + text;

      ConfigFile parsed = ConfigFile.parse(text);
      assertEquals(text, parsed.render(), context);
      assertMatches(model, parsed, context);

      ConfigFile edited = parsed;
      int edits = 1 + random.nextInt(6);
      for (int e = 0; e < edits; e++) {
        edited = edit(model, edited);
      }
      String rendered = edited.render();
      ConfigFile reparsed = ConfigFile.parse(rendered);
      assertEquals(rendered, reparsed.render(), context + "\n-- edited --\n" + rendered);
      assertMatches(model, edited, context);
      assertMatches(model, reparsed, context + "\n-- edited --\n" + rendered);
    }
  }

  private static void assertMatches(Model model, ConfigFile file, String context) {
    assertEquals(List.copyOf(model.sections.keySet()), file.sections(), context);
    for (Map.Entry<String, Map<String, String>> s : model.sections.entrySet()) {
      assertEquals(s.getValue(), file.entries(s.getKey()), context);
      for (Map.Entry<String, String> e : s.getValue().entrySet()) {
        assertEquals(
            Optional.of(e.getValue()),
            file.get(s.getKey().toUpperCase(Locale.ROOT), e.getKey().toLowerCase(Locale.ROOT)),
            context);
      }
    }
  }

  // ---- edits, applied to both the file and the model ----

  private ConfigFile edit(Model model, ConfigFile file) {
    List<String> sections = List.copyOf(model.sections.keySet());
    int op = random.nextInt(5);
    if (sections.isEmpty() || op == 0) {
      String name = freshName(model.sections.keySet(), true);
      String key = name(false);
      String value = value();
      model.sections.put(name, new LinkedHashMap<>(Map.of(key, value)));
      model.reserved.put(name, new HashSet<>(Set.of(fold(key))));
      return file.set(name, key, value);
    }
    String section = sections.get(random.nextInt(sections.size()));
    Map<String, String> entries = model.sections.get(section);
    List<String> keys = List.copyOf(entries.keySet());
    if (op == 1 || keys.isEmpty()) {
      String key = freshName(model.reserved.get(section), false);
      String value = value();
      entries.put(key, value);
      model.reserved.get(section).add(fold(key));
      return file.set(section, key, value);
    }
    String key = keys.get(random.nextInt(keys.size()));
    String spelledAs = random.nextBoolean() ? key : key.toUpperCase(Locale.ROOT);
    if (op == 2 || op == 3) {
      String value = value();
      entries.put(key, value);
      return file.set(section.toLowerCase(Locale.ROOT), spelledAs, value);
    }
    entries.remove(key);
    model.reserved.get(section).remove(fold(key));
    return file.remove(section, spelledAs);
  }

  // ---- generation ----

  private String file(Model model) {
    eol = random.nextInt(4) == 0 ? "\r\n" : "\n";
    StringBuilder sb = new StringBuilder();
    if (random.nextInt(10) == 0) {
      sb.append('\uFEFF');
    }
    fillerLines(sb, "");
    int count = random.nextInt(6);
    for (int s = 0; s < count; s++) {
      String name = freshName(model.sections.keySet(), true);
      model.sections.put(name, new LinkedHashMap<>());
      model.reserved.put(name, new HashSet<>());
      section(sb, name, model.sections.get(name), model.reserved.get(name), blanks(), true);
      boolean last = s == count - 1;
      if (!last || random.nextInt(5) != 0) {
        sb.append(eol);
      }
      if (!last) {
        fillerLines(sb, "");
      }
    }
    if (count > 0 && random.nextInt(4) == 0 && sb.toString().endsWith(eol)) {
      fillerLines(sb, "");
    }
    return sb.toString();
  }

  /** Appends a section, leaving the position just after its closing brace. */
  private void section(
      StringBuilder sb,
      String name,
      Map<String, String> entries,
      Set<String> reserved,
      String indent,
      boolean topLevel) {
    sb.append(indent).append(name).append(blanks()).append('=').append(blanks()).append('{');
    if (random.nextInt(6) == 0) {
      // one-line section
      int n = random.nextInt(3);
      for (int i = 0; i < n; i++) {
        sb.append(blanksAtLeastOne());
        entry(sb, entries, reserved);
      }
      sb.append(blanks()).append('}');
    } else {
      trailing(sb);
      sb.append(eol);
      String inner = indent + (random.nextBoolean() ? "   " : "\t");
      int lines = random.nextInt(8);
      for (int i = 0; i < lines; i++) {
        int kind = random.nextInt(10);
        if (kind < 6) {
          sb.append(inner);
          entry(sb, entries, reserved);
          if (random.nextInt(6) == 0) {
            sb.append(blanks());
            entry(sb, entries, reserved);
          }
          trailing(sb);
          sb.append(eol);
        } else if (kind < 8) {
          fillerLines(sb, inner);
        } else if (topLevel && kind == 8) {
          String nested = freshName(reserved, true);
          reserved.add(fold(nested));
          // Nested sections are opaque: their entries are not in the model.
          section(sb, nested, new LinkedHashMap<>(), new HashSet<>(), inner, false);
          trailing(sb);
          sb.append(eol);
        }
      }
      sb.append(indent).append(random.nextInt(4) == 0 ? blanks() : "").append('}');
    }
    if (topLevel) {
      trailing(sb);
    }
  }

  private void entry(StringBuilder sb, Map<String, String> entries, Set<String> reserved) {
    String key = freshName(reserved, false);
    reserved.add(fold(key));
    String value = value();
    entries.put(key, value);
    boolean quote = random.nextInt(5) == 0;
    sb.append(key)
        .append(blanks())
        .append('=')
        .append(blanks())
        .append(ConfigSyntax.encodeValue(value, quote))
        .append(blanks())
        .append(';');
  }

  /** Blank lines and comment lines, each ending with the line ending. */
  private void fillerLines(StringBuilder sb, String indent) {
    int n = random.nextInt(3);
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(3)) {
        case 0:
          sb.append(random.nextBoolean() ? "" : blanks());
          break;
        case 1:
          sb.append(indent).append("# ").append(text(COMMENT_CHARS, 20));
          break;
        default:
          sb.append(indent).append("//").append(text(COMMENT_CHARS, 20));
          break;
      }
      sb.append(eol);
    }
  }

  /** Optional blanks and comment after an item, before the line ending. */
  private void trailing(StringBuilder sb) {
    switch (random.nextInt(4)) {
      case 0:
        sb.append(blanks()).append("# ").append(text(COMMENT_CHARS, 12));
        break;
      case 1:
        sb.append(blanks()).append("//").append(text(COMMENT_CHARS, 12));
        break;
      default:
        sb.append(random.nextBoolean() ? "" : blanks());
        break;
    }
  }

  private String freshName(Set<String> taken, boolean mayHaveSpace) {
    Set<String> folded = new HashSet<>();
    for (String t : taken) {
      folded.add(fold(t));
    }
    while (true) {
      String candidate = name(mayHaveSpace);
      if (!folded.contains(fold(candidate))) {
        return candidate;
      }
    }
  }

  private String name(boolean mayHaveSpace) {
    StringBuilder sb = new StringBuilder();
    sb.append(NAME_START.charAt(random.nextInt(NAME_START.length())));
    int len = random.nextInt(12);
    for (int i = 0; i < len; i++) {
      sb.append(NAME_REST.charAt(random.nextInt(NAME_REST.length())));
    }
    if (mayHaveSpace && random.nextInt(3) == 0) {
      sb.append(' ').append(NAME_START.charAt(random.nextInt(NAME_START.length())));
    }
    return sb.toString();
  }

  private String value() {
    return random.nextInt(8) == 0 ? "" : text(VALUE_CHARS, 30);
  }

  private String text(String alphabet, int maxLen) {
    int len = random.nextInt(maxLen + 1);
    StringBuilder sb = new StringBuilder(len);
    for (int i = 0; i < len; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  private String blanks() {
    switch (random.nextInt(6)) {
      case 0:
        return "";
      case 1:
        return "  ";
      case 2:
        return "\t";
      case 3:
        return " \t ";
      default:
        return " ";
    }
  }

  private String blanksAtLeastOne() {
    String b = blanks();
    return b.isEmpty() ? " " : b;
  }

  private static String fold(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  @Test
  void generator_coversTheSyntax() {
    // Guards the generator itself: the features the property relies on do occur.
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < FILES; i++) {
      all.append(file(new Model()));
    }
    String s = all.toString();
    for (String feature : List.of("\r\n", "# ", "//", "\"", "\\\"", "\t", "\uFEFF", "; }")) {
      assertTrue(s.contains(feature), "generator never produced " + feature);
    }
    List<String> nested = new ArrayList<>();
    for (String line : s.split("\n")) {
      if (line.startsWith("   ") && line.trim().endsWith("{")) {
        nested.add(line);
      }
    }
    assertTrue(!nested.isEmpty(), "generator never produced a nested section");
  }
}
