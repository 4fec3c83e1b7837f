package dev.keyring.protocol.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain text table: a header row and left-aligned columns separated by two spaces, each as wide
 * as its widest cell (or its minimum width); trailing spaces are left off.
 */
public final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final int[] minWidths;

  /** A table with these column headers. */
  public Table(String... header) {
    rows.add(header.clone());
    minWidths = new int[header.length];
  }

  /** Sets the columns' minimum widths, from the first column on. */
  public Table minWidths(int... widths) {
    if (widths.length > minWidths.length) {
      throw new IllegalArgumentException(
          widths.length + " widths for " + minWidths.length + " columns");
    }
    System.arraycopy(widths, 0, minWidths, 0, widths.length);
    return this;
  }

  /** Adds a row; {@code cells} are as many as the header's (a null cell is shown as "-"). */
  public Table row(Object... cells) {
    if (cells.length != minWidths.length) {
      throw new IllegalArgumentException(
          "a row of " + cells.length + " cells in a table of " + minWidths.length + " columns");
    }
    rows.add(Arrays.stream(cells).map(c -> c == null ? "-" : c.toString()).toArray(String[]::new));
    return this;
  }

  /** How many rows the table holds, the header not counted. */
  public int size() {
    return rows.size() - 1;
  }

  /** The table's lines, the header first. */
  public List<String> lines() {
    int columns = minWidths.length;
    int[] width = minWidths.clone();
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    List<String> out = new ArrayList<>(rows.size());
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(r[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(width[i] - r[i].length() + 2));
        }
      }
      out.add(line.toString().stripTrailing());
    }
    return out;
  }

  /** Prints {@link #lines()}. */
  public void print(PrintWriter out) {
    lines().forEach(out::println);
  }
}
