package dev.keyring.client.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test fixtures shared by the config tests. */
final class Fixtures {
  private Fixtures() {}

  /** A realistic client file with comments, unknown sections, two clusters and an HA group. */
  static String chrystokiConf() {
    try (InputStream in = Fixtures.class.getResourceAsStream("Chrystoki.conf")) {
      if (in == null) {
        throw new IllegalStateException("test resource Chrystoki.conf is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code text} without the first line that contains {@code fragment}, line ending included. */
  static String withoutLine(String text, String fragment) {
    int at = text.indexOf(fragment);
    if (at < 0) {
      throw new IllegalArgumentException("fixture has no line with " + fragment);
    }
    int start = text.lastIndexOf('\n', at) + 1;
    int end = text.indexOf('\n', at) + 1;
    return text.substring(0, start) + text.substring(end);
  }

  /** {@code text} with {@code lines} inserted after the first line containing {@code fragment}. */
  static String withLinesAfter(String text, String fragment, String lines) {
    int at = text.indexOf(fragment);
    if (at < 0) {
      throw new IllegalArgumentException("fixture has no line with " + fragment);
    }
    int end = text.indexOf('\n', at) + 1;
    return text.substring(0, end) + lines + text.substring(end);
  }
}
