package dev.keyring.client.config;

import static dev.keyring.client.config.Fixtures.chrystokiConf;
import static dev.keyring.client.config.Fixtures.withLinesAfter;
import static dev.keyring.client.config.Fixtures.withoutLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigFileTest {
  private static final String TEXT = chrystokiConf();
  private static final ConfigFile FILE = ConfigFile.parse(TEXT, "Chrystoki.conf");

  // ---- round trip ----

  @Test
  void render_ofUnchangedRealisticFile_isByteExact() {
    assertEquals(TEXT, FILE.render());
  }

  @Test
  void render_keepsCrlfLineEndings_byteOrderMark_andMissingFinalNewline() {
    String text = "\uFEFF# win\r\nLuna = {\r\n\tA = 1;\r\n}\r\n\r\nMisc = {\r\n B=2;\r\n}";
    assertEquals(text, ConfigFile.parse(text).render());
  }

  @Test
  void render_ofEmptyAndCommentOnlyText_isUnchanged() {
    for (String text : List.of("", "\n", "# only a comment", "  // c\n\n\t\n")) {
      ConfigFile f = ConfigFile.parse(text);
      assertEquals(text, f.render());
      assertEquals(List.of(), f.sections());
    }
  }

  // ---- reading ----

  @Test
  void sections_areTopLevelNamesAsWritten_inFileOrder() {
    assertEquals(
        List.of(
            "Chrystoki2",
            "Luna",
            "CardReader",
            "LunaSA Client",
            "Secure Trusted Channel",
            "VirtualToken",
            "HASynchronize",
            "HAConfiguration",
            "Toolkit",
            "Misc"),
        FILE.sections());
  }

  @Test
  void entries_areInFileOrder_andLeaveOutNestedSections() {
    assertEquals(Map.of("PE1746Enabled", "0"), FILE.entries("Misc"));
    assertEquals(
        List.of("HAOnly", "haLogStatus", "haLogPath", "reconnAtt", "AutoReconnectInterval"),
        List.copyOf(FILE.entries("HAConfiguration").keySet()));
    assertEquals(Map.of(), FILE.entries("NoSuchSection"));
  }

  @Test
  void get_matchesSectionAndKey_withoutRegardToCase() {
    assertEquals(Optional.of("10.20.0.11:50052"), FILE.get("LunaSA Client", "LNHServer00"));
    assertEquals(Optional.of("10.20.0.11:50052"), FILE.get("lunasa CLIENT", "lnhserver00"));
    assertEquals(Optional.of("1"), FILE.get("haconfiguration", "haonly"));
    assertEquals(Optional.empty(), FILE.get("LunaSA Client", "LNHServer09"));
    assertEquals(Optional.empty(), FILE.get("No Such", "LNHServer00"));
  }

  @Test
  void get_readsNothingBeforeSemicolon_asEmptyValue() {
    assertEquals(Optional.of(""), FILE.get("LunaSA Client", "ServerHtl00"));
  }

  @Test
  void get_decodesQuotedValue_withEscapedQuotesAndSemicolon() {
    assertEquals(Optional.of("Keyring; payments \"prod\""), FILE.get("Toolkit", "Banner"));
  }

  @Test
  void get_keepsDoubleSlashAndHashInsideUnquotedValue() {
    assertEquals(
        Optional.of("https://config.example.net/luna/client"), FILE.get("Toolkit", "ConfigURL"));
    assertEquals(Optional.of("a#b//c"), ConfigFile.parse("S = {\n k = a#b//c;\n}").get("S", "k"));
  }

  @Test
  void get_ignoresTrailingComments_andBlanksAroundValue() {
    assertEquals(Optional.of("hsm-dub.example.net"), FILE.get("LunaSA Client", "LNHServer01"));
    ConfigFile f = ConfigFile.parse("S = {\n  k =   two words   ; # c\n}\n");
    assertEquals(Optional.of("two words"), f.get("S", "k"));
  }

  @Test
  void get_doesNotReachIntoNestedSections() {
    assertEquals(Optional.empty(), FILE.get("Misc", "Kept"));
    assertEquals(Optional.empty(), FILE.get("Misc", "Inner"));
  }

  @Test
  void parse_acceptsOneLineSections_andSeveralEntriesPerLine() {
    ConfigFile f = ConfigFile.parse("Misc = { A = 1; B = two; }\nX = {}\n");
    assertEquals(Map.of("A", "1", "B", "two"), f.entries("Misc"));
    assertEquals(Map.of(), f.entries("X"));
  }

  // ---- set ----

  @Test
  void set_existingKey_replacesOnlyTheValue_keepingTheLinesFormatting() {
    ConfigFile changed = FILE.set("LunaSA Client", "LNHServer01", "hsm-dub2.example.net:1792");
    String expected =
        TEXT.replace(
            "    LNHServer01 = hsm-dub.example.net;\t# tab before this comment\n",
            "    LNHServer01 = hsm-dub2.example.net:1792;\t# tab before this comment\n");
    assertEquals(expected, changed.render());
  }

  @Test
  void set_keyInOtherCase_keepsTheSpellingInTheFile() {
    ConfigFile changed = FILE.set("luna", "DEFAULTTIMEOUT", "600000");
    assertEquals(
        TEXT.replace("  DefaultTimeOut = 500000;\n", "  DefaultTimeOut = 600000;\n"),
        changed.render());
  }

  @Test
  void set_unchangedValue_returnsTheSameFile() {
    assertSame(FILE, FILE.set("Luna", "PEDTimeout1", "100000"));
  }

  @Test
  void set_leavesTheOriginalUntouched() {
    FILE.set("Luna", "PEDTimeout1", "1");
    assertEquals(TEXT, FILE.render());
  }

  @Test
  void set_newKey_goesAfterTheLastEntryOfItsSection_withThatEntrysIndentation() {
    ConfigFile changed = FILE.set("LunaSA Client", "LNHServer02", "10.30.0.7:50052");
    String expected =
        withLinesAfter(
            TEXT, "LNHServerCN01 = lnh.example.net;", "    LNHServer02 = 10.30.0.7:50052;\n");
    assertEquals(expected, changed.render());
    assertEquals(Optional.of("10.30.0.7:50052"), changed.get("LunaSA Client", "LNHServer02"));
  }

  @Test
  void set_newKey_followsTheSectionsSpacingAroundEquals() {
    ConfigFile f = ConfigFile.parse("Luna = {\n\tA=1;\n}\n");
    assertEquals("Luna = {\n\tA=1;\n\tB=2;\n}\n", f.set("Luna", "B", "2").render());
  }

  @Test
  void set_newKey_afterNestedSection_goesAfterItsClosingBrace() {
    ConfigFile changed = FILE.set("Misc", "Added", "yes");
    assertEquals(
        TEXT.replace(
            "      Kept = verbatim;\n   }\n}", "      Kept = verbatim;\n   }\n   Added = yes;\n}"),
        changed.render());
  }

  @Test
  void set_newKey_inOneLineSection_staysOnThatLine() {
    ConfigFile f = ConfigFile.parse("Misc = { A = 1; }\nE = {}\nF = {\n}\n");
    assertEquals(
        "Misc = { A = 1; B = 2; }\nE = { C = 3; }\nF = {\n   D = 4;\n}\n",
        f.set("Misc", "B", "2").set("E", "C", "3").set("F", "D", "4").render());
  }

  @Test
  void set_newSection_isAppendedAtTheEnd_afterOneBlankLine() {
    ConfigFile changed = FILE.set("Toggles", "lunacm_cv_ha_ui", "0");
    assertEquals(TEXT + "\nToggles = {\n   lunacm_cv_ha_ui = 0;\n}\n", changed.render());
  }

  @Test
  void set_newSection_inFileWithoutFinalNewline_startsOnANewLine_withItsLineEnding() {
    ConfigFile f = ConfigFile.parse("A = {\r\n  x = 1;\r\n}");
    assertEquals(
        "A = {\r\n  x = 1;\r\n}\r\n\r\nB = {\r\n  y = 2;\r\n}\r\n", f.set("B", "y", "2").render());
  }

  @Test
  void set_onEmptyText_createsTheSection() {
    assertEquals("S = {\n   k = v;\n}\n", ConfigFile.parse("").set("S", "k", "v").render());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a;b",
        "\"leading quote",
        " leading blank",
        "trailing blank\t",
        "{brace",
        "back\\slash",
        "quote\"inside",
        "",
        "#hash",
        "//slashes",
        "plain value with spaces",
        "ünïcödé"
      })
  void set_anyOneLineValue_readsBackUnchanged(String value) {
    ConfigFile changed = FILE.set("Toolkit", "Probe", value).set("Toolkit", "Banner", value);
    ConfigFile reparsed = ConfigFile.parse(changed.render());
    assertEquals(Optional.of(value), reparsed.get("Toolkit", "Probe"));
    assertEquals(Optional.of(value), reparsed.get("Toolkit", "Banner"));
    assertEquals(changed.render(), reparsed.render());
  }

  @Test
  void set_quotesOnlyWhenNeeded_orWhenTheReplacedValueWasQuoted() {
    ConfigFile f = ConfigFile.parse("S = {\n  q = \"x\";\n  u = x;\n}\n");
    assertEquals(
        "S = {\n  q = \"y\";\n  u = \"a;b\";\n}\n",
        f.set("S", "q", "y").set("S", "u", "a;b").render());
    assertEquals("S = {\n  q = \"x\";\n  u = y z;\n}\n", f.set("S", "u", "y z").render());
  }

  @Test
  void set_rejectsValuesAndNamesThatCannotBeWrittenBack() {
    assertThrows(IllegalArgumentException.class, () -> FILE.set("Luna", "k", "two\nlines"));
    for (String badName : List.of("", " lead", "a=b", "a;b", "a{b", "a}b", "a\"b", "#c", "//c")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> FILE.set("Luna", badName, "v"));
      assertTrue(e.getMessage().startsWith("a key must"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> FILE.set(badName, "k", "v"));
    }
  }

  @Test
  void set_onNestedSectionName_isRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FILE.set("Misc", "inner", "x"));
    assertEquals("'Inner' in section 'Misc' is a nested section, not a key", e.getMessage());
  }

  // ---- remove ----

  @Test
  void remove_dropsTheEntrysLine_withItsTrailingComment_andNothingElse() {
    ConfigFile changed = FILE.remove("LunaSA Client", "lnhserver01");
    assertEquals(withoutLine(TEXT, "LNHServer01 = hsm-dub"), changed.render());
    assertEquals(Optional.empty(), changed.get("LunaSA Client", "LNHServer01"));
  }

  @Test
  void remove_absentKeyOrSection_returnsTheSameFile() {
    assertSame(FILE, FILE.remove("LunaSA Client", "LNHServer07"));
    assertSame(FILE, FILE.remove("Nowhere", "LNHServer00"));
  }

  @Test
  void remove_inOneLineSection_keepsTheRestOfTheLine() {
    ConfigFile f = ConfigFile.parse("Misc = { A = 1; B = 2; }\n");
    assertEquals("Misc = { B = 2; }\n", f.remove("Misc", "A").render());
    assertEquals("Misc = { A = 1; }\n", f.remove("Misc", "B").render());
  }

  @Test
  void setThenRemove_ofANewKey_restoresTheOriginalText() {
    assertEquals(TEXT, FILE.set("Luna", "Extra", "1").remove("Luna", "Extra").render());
  }

  @Test
  void toString_namesSourceAndSections_notValues() {
    String s = ConfigFile.parse("S = {\n secret = hunter2;\n}\n", "x.conf").toString();
    assertEquals("ConfigFile[x.conf, sections=[S]]", s);
  }
}
