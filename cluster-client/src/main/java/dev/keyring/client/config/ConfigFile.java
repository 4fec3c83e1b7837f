package dev.keyring.client.config;

import static dev.keyring.client.config.ConfigSyntax.fold;

import dev.keyring.client.config.Node.Entry;
import dev.keyring.client.config.Node.Section;
import dev.keyring.client.config.Node.Trivia;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A client configuration file in the {@code Chrystoki.conf} syntax that Luna HSM clients use,
 * parsed so that it can be read and edited without disturbing anything else in it.
 *
 * <pre>
 * # comment                       // comment
 * LunaSA Client = {
 *    NetClient = 1;
 *    LNHServer00 = 10.0.0.5:50052;   # a trailing comment
 *    Label = "quoted; may hold \"anything\"";
 * }
 * </pre>
 *
 * <p><b>Syntax.</b> A file is a sequence of sections {@code Name = { ... }}; a section holds
 * entries {@code Key = value;} and, rarely, nested sections, which are kept but not interpreted.
 * Names may contain blanks and end at the {@code =}. A value runs to the {@code ;} on the same
 * line, without surrounding blanks, or is quoted with {@code "} (inside quotes {@code \"} stands
 * for a quote and {@code \\} for a backslash; a value that holds {@code ;} must be quoted). Lines
 * may end in LF or CRLF. Comments start with {@code #} or {@code //} at the start of a line or
 * after <code>{</code>, <code>}</code> or {@code ;}; elsewhere those characters belong to the value
 * (URLs stay intact). Section names and keys are looked up without regard to case, as Luna does,
 * and a section or key may appear only once in its scope.
 *
 * <p><b>Fidelity.</b> {@link #render()} of a file that was parsed and not changed returns the input
 * exactly. Edits touch only what they change: {@link #set} replaces a value in place and keeps the
 * key's spelling, the blanks around {@code =}, a trailing comment and the quoting style; new keys
 * go at the end of their section with the indentation of its last entry; new sections go at the end
 * of the file; new lines use the file's line ending.
 *
 * <p>Instances are immutable and thread-safe: {@code set} and {@code remove} return a new file.
 * Parse errors are reported as {@link ConfigFileException} with file, line and column.
 */
public final class ConfigFile {
  private static final String DEFAULT_INDENT = "   ";
  private static final String DEFAULT_SOURCE = "<text>";

  private final String source;
  private final Charset charset;
  private final String lineEnding;
  private final List<Node> nodes;
  private final String text;
  private final Map<String, Integer> sectionIndex;

  private ConfigFile(String source, Charset charset, String lineEnding, List<Node> nodes) {
    this.source = source;
    this.charset = charset;
    this.lineEnding = lineEnding;
    this.nodes = List.copyOf(nodes);
    StringBuilder sb = new StringBuilder();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < this.nodes.size(); i++) {
      Node n = this.nodes.get(i);
      n.renderTo(sb);
      if (n instanceof Section s) {
        index.put(s.lookupName(), i);
      }
    }
    this.text = sb.toString();
    this.sectionIndex = Map.copyOf(index);
  }

  /**
   * Parses configuration text; error messages call it {@code <text>}.
   *
   * @throws ConfigFileException if the text is not well formed
   */
  public static ConfigFile parse(String text) {
    return parse(text, DEFAULT_SOURCE);
  }

  /**
   * Parses configuration text; error messages name it {@code sourceName}.
   *
   * @throws ConfigFileException if the text is not well formed
   */
  public static ConfigFile parse(String text, String sourceName) {
    return parse(text, sourceName, StandardCharsets.UTF_8);
  }

  private static ConfigFile parse(String text, String sourceName, Charset charset) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(sourceName, "sourceName");
    return new ConfigFile(
        sourceName, charset, detectLineEnding(text), ConfigParser.parse(sourceName, text));
  }

  /**
   * Reads and parses a file. It is decoded as UTF-8, or byte for byte as ISO-8859-1 when it is not
   * valid UTF-8, so that {@link #write} reproduces every byte either way; UTF-16 text (a Windows
   * editor's "Unicode"), known by its byte order mark, is refused. Error messages name the path as
   * given.
   *
   * @throws IOException if the file cannot be read
   * @throws ConfigFileException if its content is not well formed, or is UTF-16 text
   */
  public static ConfigFile read(Path path) throws IOException {
    byte[] bytes = Files.readAllBytes(path);
    if (bytes.length >= 2
        && ((bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE)
            || (bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF))) {
      throw new ConfigFileException(
          path.toString(),
          1,
          1,
          "the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8");
    }
    Charset charset = StandardCharsets.UTF_8;
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException notUtf8) {
      charset = StandardCharsets.ISO_8859_1;
      text = new String(bytes, charset);
    }
    return parse(text, path.toString(), charset);
  }

  /** The name used in error messages: the path given to {@link #read}, or the parse name. */
  public String source() {
    return source;
  }

  /** The top-level section names as written, in file order. */
  public List<String> sections() {
    List<String> names = new ArrayList<>();
    for (Node n : nodes) {
      if (n instanceof Section s) {
        names.add(s.name());
      }
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * The value of {@code key} in the top-level section {@code section}; both names are matched
   * without regard to case. A quoted value is returned without its quotes and escapes.
   */
  public Optional<String> get(String section, String key) {
    return entry(section, key).map(Entry::value);
  }

  /**
   * The entries of a top-level section in file order, keyed by their spelling in the file; empty
   * when there is no such section. Nested sections are not included.
   */
  public Map<String, String> entries(String section) {
    Map<String, String> out = new LinkedHashMap<>();
    section(section)
        .ifPresent(
            s -> {
              for (Node n : s.body()) {
                if (n instanceof Entry e) {
                  out.put(e.key(), e.value());
                }
              }
            });
    return Collections.unmodifiableMap(out);
  }

  /**
   * Returns a file in which {@code key} of {@code section} has {@code value}. A present key keeps
   * its line and everything on it except the value; an absent key is added at the end of the
   * section with the section's indentation; an absent section is added at the end of the file. New
   * names are written as given. The value is quoted only when it must be (it holds {@code ;},
   * starts with {@code "} or <code>{</code>, or starts or ends with blanks) or when the value it
   * replaces was quoted.
   *
   * @throws IllegalArgumentException if a name or the value cannot be written in this syntax (a
   *     line break, a {@code =} in a name, ...), or if {@code key} names a nested section
   */
  public ConfigFile set(String section, String key, String value) {
    ConfigSyntax.checkName("section name", section);
    ConfigSyntax.checkName("key", key);
    ConfigSyntax.checkValue(value);
    Integer at = sectionIndex.get(fold(section));
    if (at == null) {
      return withNodes(appendSection(section, key, value));
    }
    Section s = (Section) nodes.get(at);
    List<Node> body = new ArrayList<>(s.body());
    int i = indexOfItem(body, key);
    if (i >= 0) {
      Entry e = asEntry(s, body.get(i));
      if (e.value().equals(value)) {
        return this;
      }
      body.set(i, e.withValue(value));
    } else {
      insertAtEnd(body, newEntry(styleSource(body), key, value));
    }
    return withSection(at, s.withBody(body));
  }

  /**
   * Returns a file without {@code key} in {@code section}, or this file if there is no such key.
   * When the entry has a line of its own, the whole line goes, trailing comment included; otherwise
   * only the entry and the blanks after it. Comments on other lines stay.
   *
   * @throws IllegalArgumentException if {@code key} names a nested section
   */
  public ConfigFile remove(String section, String key) {
    Objects.requireNonNull(section, "section");
    Objects.requireNonNull(key, "key");
    Integer at = sectionIndex.get(fold(section));
    if (at == null) {
      return this;
    }
    Section s = (Section) nodes.get(at);
    List<Node> body = new ArrayList<>(s.body());
    int i = indexOfItem(body, key);
    if (i < 0) {
      return this;
    }
    asEntry(s, body.get(i));
    int from = i;
    int to = i + 1; // exclusive
    if (to < body.size() && isTrivia(body.get(to), Trivia.Kind.BLANK)) {
      to++;
    }
    int lineEnd = to;
    if (lineEnd < body.size() && isTrivia(body.get(lineEnd), Trivia.Kind.COMMENT)) {
      lineEnd++;
    }
    int lineStart = from;
    if (lineStart > 0 && isTrivia(body.get(lineStart - 1), Trivia.Kind.BLANK)) {
      lineStart--;
    }
    boolean startsLine = lineStart > 0 && isTrivia(body.get(lineStart - 1), Trivia.Kind.LINE_END);
    boolean endsLine = lineEnd < body.size() && isTrivia(body.get(lineEnd), Trivia.Kind.LINE_END);
    if (startsLine && endsLine) {
      from = lineStart;
      to = lineEnd + 1;
    }
    body.subList(from, to).clear();
    return withSection(at, s.withBody(body));
  }

  /** The file's text: exactly the parsed input when nothing was changed. */
  public String render() {
    return text;
  }

  /**
   * Writes {@link #render()} to {@code path} atomically: the text goes to a temporary file in the
   * same directory, is forced to disk, receives the permissions (and, where allowed, owner and
   * group) of the file it replaces, and is then renamed over it. Readers see the old file or the
   * new one, never a mix; on failure the old file is untouched and the temporary file is removed.
   * When {@code path} is a symbolic link, its target is replaced and the link kept. The text is
   * encoded as it was read (see {@link #read}).
   *
   * @throws IOException if the file cannot be written, or holds characters its encoding lacks
   */
  public void write(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    ByteBuffer encoded =
        charset
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .encode(CharBuffer.wrap(text));
    byte[] bytes = new byte[encoded.remaining()];
    encoded.get(bytes);
    AtomicFileWrite.write(path, bytes);
  }

  /** A short description: the source name and the section names, not the content. */
  @Override
  public String toString() {
    return "ConfigFile[" + source + ", sections=" + sections() + "]";
  }

  // ---- package-private access for ClientConfig ----

  Optional<Entry> entry(String section, String key) {
    Objects.requireNonNull(key, "key");
    return section(section)
        .flatMap(
            s -> {
              int i = indexOfItem(s.body(), key);
              return i >= 0 && s.body().get(i) instanceof Entry e
                  ? Optional.of(e)
                  : Optional.empty();
            });
  }

  Optional<Section> section(String section) {
    Objects.requireNonNull(section, "section");
    Integer at = sectionIndex.get(fold(section));
    return at == null ? Optional.empty() : Optional.of((Section) nodes.get(at));
  }

  // ---- editing helpers ----

  private ConfigFile withNodes(List<Node> newNodes) {
    return new ConfigFile(source, charset, lineEnding, newNodes);
  }

  private ConfigFile withSection(int at, Section replacement) {
    List<Node> copy = new ArrayList<>(nodes);
    copy.set(at, replacement);
    return withNodes(copy);
  }

  private static Entry asEntry(Section s, Node n) {
    if (n instanceof Entry e) {
      return e;
    }
    throw new IllegalArgumentException(
        "'"
            + ((Section) n).name()
            + "' in section '"
            + s.name()
            + "' is a nested section, not a key");
  }

  private static int indexOfItem(List<Node> body, String key) {
    String folded = fold(key);
    for (int i = 0; i < body.size(); i++) {
      Node n = body.get(i);
      if ((n instanceof Entry e && e.lookupKey().equals(folded))
          || (n instanceof Section s && s.lookupName().equals(folded))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isTrivia(Node n, Trivia.Kind kind) {
    return n instanceof Trivia t && t.is(kind);
  }

  /** Layout of new entries, copied from an existing entry that starts its own line. */
  private record Style(String indent, String separator) {}

  private Style styleSource(List<Node> body) {
    Style own = lastLineStartingEntry(body);
    if (own != null) {
      return own;
    }
    for (Node n : nodes) {
      if (n instanceof Section s) {
        Style other = lastLineStartingEntry(s.body());
        if (other != null) {
          return other;
        }
      }
    }
    return new Style(DEFAULT_INDENT, " = ");
  }

  private static Style lastLineStartingEntry(List<Node> body) {
    for (int i = body.size() - 1; i >= 0; i--) {
      if (!(body.get(i) instanceof Entry e)) {
        continue;
      }
      String indent = null;
      if (i >= 1 && isTrivia(body.get(i - 1), Trivia.Kind.LINE_END)) {
        indent = "";
      } else if (i >= 2
          && isTrivia(body.get(i - 1), Trivia.Kind.BLANK)
          && isTrivia(body.get(i - 2), Trivia.Kind.LINE_END)) {
        indent = ((Trivia) body.get(i - 1)).text();
      }
      if (indent != null) {
        String sep = e.separator();
        int eq = sep.indexOf('=');
        String normalized = (eq > 0 ? " " : "") + "=" + (eq < sep.length() - 1 ? " " : "");
        return new Style(indent, normalized);
      }
    }
    return null;
  }

  private static Entry newEntry(Style style, String key, String value) {
    return new Entry(key, style.separator(), ConfigSyntax.encodeValue(value, false), value, ";", 0);
  }

  /**
   * Inserts {@code entry} after the last item of a section body, on a line of its own if it can.
   */
  private void insertAtEnd(List<Node> body, Entry entry) {
    String indent = styleSource(body).indent();
    int lastItem = -1;
    for (int i = body.size() - 1; i >= 0; i--) {
      if (!(body.get(i) instanceof Trivia)) {
        lastItem = i;
        break;
      }
    }
    int lineEnd = -1;
    for (int i = lastItem + 1; i < body.size(); i++) {
      if (isTrivia(body.get(i), Trivia.Kind.LINE_END)) {
        lineEnd = i;
        break;
      }
    }
    List<Node> added = new ArrayList<>();
    if (lineEnd >= 0) {
      if (!indent.isEmpty()) {
        added.add(Trivia.blank(indent));
      }
      added.add(entry);
      added.add(Trivia.lineEnd(lineEnding));
      body.addAll(lineEnd + 1, added);
    } else if (lastItem >= 0) {
      // One-line section such as "Misc = { A = 1; }": stay on that line.
      added.add(Trivia.blank(" "));
      added.add(entry);
      body.addAll(lastItem + 1, added);
    } else {
      // Empty one-line section such as "Misc = {}" or "Misc = { }".
      added.add(Trivia.blank(" "));
      added.add(entry);
      if (body.isEmpty()) {
        added.add(Trivia.blank(" "));
      }
      body.addAll(0, added);
    }
  }

  private List<Node> appendSection(String section, String key, String value) {
    List<Node> out = new ArrayList<>(nodes);
    if (!text.isEmpty()) {
      String tail = text;
      if (!tail.endsWith("\n") && !tail.endsWith("\r")) {
        out.add(Trivia.lineEnd(lineEnding));
        tail += lineEnding;
      }
      if (!tail.endsWith(lineEnding + lineEnding)) {
        out.add(Trivia.lineEnd(lineEnding));
      }
    }
    Style style = styleSource(List.of());
    List<Node> body = new ArrayList<>();
    body.add(Trivia.lineEnd(lineEnding));
    if (!style.indent().isEmpty()) {
      body.add(Trivia.blank(style.indent()));
    }
    body.add(newEntry(style, key, value));
    body.add(Trivia.lineEnd(lineEnding));
    out.add(new Section(section, " = {", body, 0));
    out.add(Trivia.lineEnd(lineEnding));
    return out;
  }

  private static String detectLineEnding(String text) {
    int lf = text.indexOf('\n');
    if (lf > 0 && text.charAt(lf - 1) == '\r') {
      return "\r\n";
    }
    if (lf < 0 && text.indexOf('\r') >= 0) {
      return "\r";
    }
    return "\n";
  }
}
