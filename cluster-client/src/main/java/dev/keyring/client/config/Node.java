package dev.keyring.client.config;

import java.util.List;

/**
 * One piece of a parsed configuration document. Every character of the source text belongs to
 * exactly one node, so concatenating the nodes' text gives the source back unchanged.
 */
sealed interface Node permits Node.Trivia, Node.Entry, Node.Section {

  /** Appends this node's text, exactly as it appears in the file, to {@code out}. */
  void renderTo(StringBuilder out);

  /** Text that carries no settings: a run of blanks, a comment, or one line ending. */
  record Trivia(Kind kind, String text) implements Node {
    enum Kind {
      /** Spaces, tabs, or a byte-order mark. */
      BLANK,
      /** A {@code #} or {@code //} comment, up to but not including the line ending. */
      COMMENT,
      /** {@code \n} or {@code \r\n} (or a lone {@code \r}). */
      LINE_END
    }

    static Trivia blank(String text) {
      return new Trivia(Kind.BLANK, text);
    }

    static Trivia lineEnd(String text) {
      return new Trivia(Kind.LINE_END, text);
    }

    boolean is(Kind k) {
      return kind == k;
    }

    @Override
    public void renderTo(StringBuilder out) {
      out.append(text);
    }
  }

  /**
   * {@code key separator rawValue terminator}, e.g. {@code "NetClient" " = " "1" ";"}. Indentation
   * and anything after the terminator are separate {@link Trivia} nodes.
   *
   * @param key the key as written
   * @param separator the text from the end of the key to the start of the value, holding {@code =}
   * @param rawValue the value as written, with its quotes and escapes if it is quoted
   * @param value the decoded value
   * @param terminator the text from the end of the value up to and including {@code ;}
   * @param line 1-based line of the key in the parsed source, or 0 for an entry added later
   */
  record Entry(
      String key, String separator, String rawValue, String value, String terminator, int line)
      implements Node {

    String lookupKey() {
      return ConfigSyntax.fold(key);
    }

    boolean quoted() {
      return rawValue.startsWith("\"");
    }

    Entry withValue(String newValue) {
      String raw = ConfigSyntax.encodeValue(newValue, quoted());
      return new Entry(key, separator, raw, newValue, terminator, line);
    }

    @Override
    public void renderTo(StringBuilder out) {
      out.append(key).append(separator).append(rawValue).append(terminator);
    }
  }

  /**
   * {@code name opener body }}, e.g. {@code "LunaSA Client" " = {" ... "}"}.
   *
   * @param name the section name as written
   * @param opener the text from the end of the name up to and including <code>{</code>
   * @param body the nodes between the braces
   * @param line 1-based line of the name in the parsed source, or 0 for a section added later
   */
  record Section(String name, String opener, List<Node> body, int line) implements Node {
    public Section {
      body = List.copyOf(body);
    }

    String lookupName() {
      return ConfigSyntax.fold(name);
    }

    Section withBody(List<Node> newBody) {
      return new Section(name, opener, newBody, line);
    }

    @Override
    public void renderTo(StringBuilder out) {
      out.append(name).append(opener);
      for (Node n : body) {
        n.renderTo(out);
      }
      out.append('}');
    }
  }
}
