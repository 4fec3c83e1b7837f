package dev.keyring.client.config;

/**
 * A client configuration file that cannot be used: its syntax is broken, or a setting in it is
 * incomplete or out of range. The message always starts with where the problem is, in the form
 * compilers use, then says what was expected:
 *
 * <pre>
 * /etc/Chrystoki.conf:12:30: expected ';' after the value of 'LNHServer00'
 * </pre>
 *
 * <p>The exception is unchecked: a bad file is an operator's mistake that the caller reports, not a
 * condition it can repair, and it arrives at configuration entry points (such as {@code
 * Provider.configure(String)}) whose signatures admit no checked exception. I/O failures while
 * reading or writing a file are reported separately as {@link java.io.IOException}.
 */
public final class ConfigFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final int line;
  private final int column;
  private final String detail;

  /**
   * Creates an exception for a problem at a known place.
   *
   * @param source the file name or path shown to the operator
   * @param line 1-based line, or 0 when the problem has no single line
   * @param column 1-based column, or 0 when only the line is known
   * @param detail what is wrong and what was expected, without the location
   */
  public ConfigFileException(String source, int line, int column, String detail) {
    super(format(source, line, column, detail));
    this.source = source;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }

  private static String format(String source, int line, int column, String detail) {
    StringBuilder sb = new StringBuilder(source);
    if (line > 0) {
      sb.append(':').append(line);
      if (column > 0) {
        sb.append(':').append(column);
      }
    }
    return sb.append(": ").append(detail).toString();
  }

  /** The file name or path the problem was found in. */
  public String source() {
    return source;
  }

  /** The 1-based line of the problem, or 0 when it has no single line. */
  public int line() {
    return line;
  }

  /** The 1-based column of the problem (characters, a tab counts as one), or 0 when unknown. */
  public int column() {
    return column;
  }

  /** The message without its location prefix. */
  public String detail() {
    return detail;
  }
}
