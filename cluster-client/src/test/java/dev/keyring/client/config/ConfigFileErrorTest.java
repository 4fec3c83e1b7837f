package dev.keyring.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed input gets one exception whose message says file:line:column and what to do. */
class ConfigFileErrorTest {

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(
            "missing ';' after a value",
            "LunaSA Client = {\n  LNHServer00 = 1.2.3.4:50052\n}\n",
            "Chrystoki.conf:2:30: expected ';' after the value of 'LNHServer00'"),
        Arguments.of(
            "text between a quoted value and ';'",
            "S = {\n  K = \"a\" b;\n}\n",
            "Chrystoki.conf:2:11: expected ';' after the value of 'K', found 'b'"),
        Arguments.of(
            "missing '=' between key and value",
            "LunaSA Client = {\n  LNHServer00 1.2.3.4:50052;\n}\n",
            "Chrystoki.conf:2:14: expected '=' after the key 'LNHServer00'"),
        Arguments.of(
            "a key alone on its line",
            "S = {\n  NetClient\n}\n",
            "Chrystoki.conf:2:12: expected '=' after 'NetClient'"),
        Arguments.of(
            "missing '=' before '{'",
            "Misc {\n}\n",
            "Chrystoki.conf:1:6: expected '=' between the section name 'Misc' and '{'"),
        Arguments.of(
            "missing key before '='",
            "S = {\n  = 1;\n}\n",
            "Chrystoki.conf:2:3: expected a key or section name before '='"),
        Arguments.of(
            "unterminated section",
            "Luna = {\n}\nLunaSA Client = {\n  NetClient = 1;\n",
            "Chrystoki.conf:3:1: section 'LunaSA Client' is not closed: expected '}' before the"
                + " end of the file (line 5)"),
        Arguments.of(
            "unterminated nested section",
            "Misc = {\n  Inner = {\n    A = 1;\n}\n",
            "Chrystoki.conf:1:1: section 'Misc' is not closed: expected '}' before the end of"
                + " the file (line 5)"),
        Arguments.of(
            "duplicate key",
            "S = {\n  K = 1;\n  J = 2;\n  K = 3;\n}\n",
            "Chrystoki.conf:4:3: duplicate key 'K' in section 'S' on lines 2 and 4; keep only"
                + " one"),
        Arguments.of(
            "duplicate key differing in case",
            "S = {\n  LNHServer00 = a;\n  lnhserver00 = b;\n}\n",
            "Chrystoki.conf:3:3: duplicate key 'lnhserver00' in section 'S' on lines 2 and 3"
                + " (first written 'LNHServer00'; names are compared without regard to case);"
                + " keep only one"),
        Arguments.of(
            "duplicate section",
            "Luna = {\n}\n\nluna = {\n}\n",
            "Chrystoki.conf:4:1: duplicate section 'luna' on lines 1 and 4 (first written"
                + " 'Luna'; names are compared without regard to case); keep only one"),
        Arguments.of(
            "unterminated quote",
            "S = {\n  K = \"abc;\n}\n",
            "Chrystoki.conf:2:7: the quoted value of 'K' in section 'S' is not closed: expected"
                + " '\"' before the end of the line"),
        Arguments.of(
            "quote closed only by an escaped quote",
            "S = {\n  K = \"abc\\\";\n}\n",
            "Chrystoki.conf:2:7: the quoted value of 'K' in section 'S' is not closed: expected"
                + " '\"' before the end of the line"),
        Arguments.of(
            "garbage after '}'",
            "S = {\n  K = 1;\n} extra\n",
            "Chrystoki.conf:3:3: unexpected 'e' after the '}' that closes section 'S': expected"
                + " the end of the line"),
        Arguments.of(
            "';' after '}'",
            "S = {\n  K = 1;\n};\n",
            "Chrystoki.conf:3:2: unexpected ';' after the '}' that closes section 'S': expected"
                + " the end of the line"),
        Arguments.of(
            "'}' with no open section",
            "S = {\n}\n}\n",
            "Chrystoki.conf:3:1: unexpected '}': no section is open here"),
        Arguments.of(
            "an entry outside any section",
            "# top\nNetClient = 1;\n",
            "Chrystoki.conf:2:13: expected '{' after 'NetClient =': outside a section only 'Name"
                + " = { ... }' sections may appear"),
        Arguments.of(
            "a Windows ini header",
            "[Toggles]\nlunacm_cv_ha_ui = 0\n",
            "Chrystoki.conf:1:1: expected 'Name = {' to open a section, found '[Toggles]'"
                + " ('[Name]' headers belong to the Windows crystoki.ini format)"),
        Arguments.of(
            "a stray ';'",
            "S = {\n  ;\n}\n",
            "Chrystoki.conf:2:3: unexpected ';': expected a key or a section"),
        Arguments.of(
            "a quoted name",
            "S = {\n  \"K\" = 1;\n}\n",
            "Chrystoki.conf:2:3: unexpected '\"': keys and section names are not quoted"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void parse_malformedInput_reportsFileLineColumnAndWhatWasExpected(
      String rule, String text, String message) {
    ConfigFileException e =
        assertThrows(ConfigFileException.class, () -> ConfigFile.parse(text, "Chrystoki.conf"));
    assertEquals(message, e.getMessage());
    assertEquals("Chrystoki.conf", e.source());
    assertEquals(
        e.getMessage(), "Chrystoki.conf:" + e.line() + ":" + e.column() + ": " + e.detail());
  }

  @Test
  void parse_crlfInput_countsLinesAndColumnsTheSameWay() {
    ConfigFileException e =
        assertThrows(
            ConfigFileException.class,
            () -> ConfigFile.parse("S = {\r\n  K = 1\r\n}\r\n", "Chrystoki.conf"));
    assertEquals("Chrystoki.conf:2:8: expected ';' after the value of 'K'", e.getMessage());
  }

  @Test
  void read_malformedFile_namesThePathInTheMessage(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("Chrystoki.conf");
    Files.writeString(file, "Luna = {\n  A = 1\n}\n", StandardCharsets.UTF_8);
    ConfigFileException e = assertThrows(ConfigFileException.class, () -> ConfigFile.read(file));
    assertTrue(e.getMessage().startsWith(file + ":2:8: expected ';'"), e.getMessage());
  }

  /** A file a Windows editor saved as "Unicode": read as ISO-8859-1, it gave a parse error. */
  @ParameterizedTest
  @MethodSource("utf16")
  void read_utf16File_isRefusedSayingSo(java.nio.charset.Charset utf16, @TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("Chrystoki.conf");
    byte[] text = "LunaSA Client = {\r\n  NetClient = 1;\r\n}\r\n".getBytes(utf16);
    byte[] bom = "\uFEFF".getBytes(utf16);
    byte[] bytes = new byte[bom.length + text.length];
    System.arraycopy(bom, 0, bytes, 0, bom.length);
    System.arraycopy(text, 0, bytes, bom.length, text.length);
    Files.write(file, bytes);
    ConfigFileException e = assertThrows(ConfigFileException.class, () -> ConfigFile.read(file));
    assertEquals(
        file
            + ":1:1: the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as"
            + " UTF-8",
        e.getMessage());
  }

  static Stream<java.nio.charset.Charset> utf16() {
    return Stream.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE);
  }
}
