package dev.keyring.protocol.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {
  @Test
  void columnsAreAsWideAsTheirWidestCell_separatedByTwoSpaces() {
    Table t =
        new Table("User", "Role", "Enabled")
            .row("admin", "ADMIN", "true")
            .row("al", "MONITOR", "false");
    assertEquals(
        List.of(
            "User   Role     Enabled", //
            "admin  ADMIN    true",
            "al     MONITOR  false"),
        t.lines());
    assertEquals(2, t.size());
  }

  @Test
  void trailingSpacesAreLeftOff_whenTheLastCellIsEmpty() {
    Table t = new Table("Group", "Members").row("local", "");
    assertEquals(List.of("Group  Members", "local"), t.lines());
  }

  @Test
  void minimumWidths_padNarrowColumns_andWideCellsStillWidenTheirColumn() {
    Table t =
        new Table("Handle", "Class", "Label")
            .minWidths(8, 12)
            .row(1L, "SECRET_KEY", "k")
            .row(12345678901L, "PUBLIC_KEY", "p");
    assertEquals(
        List.of(
            "Handle       Class         Label",
            "1            SECRET_KEY    k",
            "12345678901  PUBLIC_KEY    p"),
        t.lines());
  }

  @Test
  void aNullCellIsShownAsADash_andCellsAreShownWithToString() {
    Table t = new Table("A", "B").row(null, 42);
    assertEquals(List.of("A  B", "-  42"), t.lines());
  }

  @Test
  void print_writesOneLinePerRow_headerFirst() {
    StringWriter s = new StringWriter();
    try (PrintWriter w = new PrintWriter(s)) {
      new Table("X", "Y").row("1", "2").print(w);
    }
    assertEquals("X  Y" + System.lineSeparator() + "1  2" + System.lineSeparator(), s.toString());
  }

  @Test
  void anEmptyTableIsItsHeader() {
    Table t = new Table("Label", "Cluster ID");
    assertEquals(List.of("Label  Cluster ID"), t.lines());
    assertEquals(0, t.size());
  }

  @Test
  void aRowOfTheWrongLength_orTooManyWidths_isRefused() {
    Table t = new Table("A", "B");
    assertThrows(IllegalArgumentException.class, () -> t.row("only one"));
    assertThrows(IllegalArgumentException.class, () -> t.minWidths(1, 2, 3));
  }
}
