package dev.keyring.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * One table's row binding: its columns in order, how each is bound from a record, and how a record
 * is read back from a result set. Every statement that writes whole or partial rows of the table
 * (inserts, updates, batches) is built and bound here, so a new column is declared once, in {@link
 * Rows}.
 *
 * @param <R> the record a row holds
 */
final class RowTable<R> {
  /** Binds one column of {@code row} at {@code index}. */
  @FunctionalInterface
  interface Binder<R> {
    void bind(PreparedStatement ps, int index, R row) throws SQLException;
  }

  /** Reads the record at the result set's current row. */
  @FunctionalInterface
  interface Reader<R> {
    R read(ResultSet rs) throws SQLException;
  }

  /** How many rows one batch sends before it is executed. */
  private static final int BATCH_SIZE = 500;

  private final String table;
  private final Reader<R> reader;
  private final Map<String, Binder<R>> columns;

  private RowTable(String table, Reader<R> reader, Map<String, Binder<R>> columns) {
    this.table = table;
    this.reader = reader;
    this.columns = columns;
  }

  /** A table with no columns yet; add them in the table's column order with {@link #column}. */
  static <R> RowTable<R> of(String table, Reader<R> reader) {
    return new RowTable<>(table, reader, Map.of());
  }

  /** This table with one more column. */
  RowTable<R> column(String name, Binder<R> binder) {
    Map<String, Binder<R>> more = new LinkedHashMap<>(columns);
    if (more.put(name, binder) != null) {
      throw new IllegalArgumentException(table + "." + name + " is declared twice");
    }
    return new RowTable<>(table, reader, more);
  }

  /** Every column, comma-separated, in order. */
  String columnList() {
    return String.join(", ", columns.keySet());
  }

  /** {@code SELECT <every column> FROM <table>}; append the WHERE or ORDER BY clause. */
  String select() {
    return "SELECT " + columnList() + " FROM " + table;
  }

  /** {@code INSERT INTO <table> (<every column>) VALUES (?, ...)}; bind with {@link #bindAll}. */
  private String insert() {
    StringJoiner marks = new StringJoiner(", ");
    columns.keySet().forEach(c -> marks.add("?"));
    return "INSERT INTO " + table + " (" + columnList() + ") VALUES (" + marks + ")";
  }

  /** Binds every column of {@code row}, from parameter 1 on. */
  private void bindAll(PreparedStatement ps, R row) throws SQLException {
    bind(ps, row, List.copyOf(columns.keySet()), 1);
  }

  /**
   * {@code UPDATE <table> SET <set>... WHERE <where>...}, each with a {@code = ?} parameter; bind
   * with {@link #bindUpdate} and the same lists.
   */
  private String update(List<String> set, List<String> where) {
    StringJoiner sets = new StringJoiner(", ");
    set.forEach(c -> sets.add(known(c) + " = ?"));
    StringJoiner conditions = new StringJoiner(" AND ");
    where.forEach(c -> conditions.add(known(c) + " = ?"));
    return "UPDATE " + table + " SET " + sets + " WHERE " + conditions;
  }

  /** Binds the {@code set} columns then the {@code where} columns of {@code row}. */
  private void bindUpdate(PreparedStatement ps, R row, List<String> set, List<String> where)
      throws SQLException {
    int next = bind(ps, row, set, 1);
    bind(ps, row, where, next);
  }

  /**
   * Updates the {@code set} columns of the rows that the {@code where} columns of {@code row} pick.
   *
   * @return how many rows changed
   */
  int update(Connection c, R row, List<String> set, List<String> where) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(update(set, where))) {
      bindUpdate(ps, row, set, where);
      return ps.executeUpdate();
    }
  }

  /** Every column except {@code keys}, in order: what a full update sets. */
  List<String> columnsExcept(List<String> keys) {
    List<String> out = new ArrayList<>(columns.keySet());
    out.removeAll(keys);
    return out;
  }

  /** Inserts every row, executing the batch every {@value #BATCH_SIZE} rows. */
  void insertAll(Connection c, List<R> rows) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(insert())) {
      int n = 0;
      for (R row : rows) {
        bindAll(ps, row);
        ps.addBatch();
        if (++n % BATCH_SIZE == 0) {
          ps.executeBatch();
        }
      }
      if (n % BATCH_SIZE != 0) {
        ps.executeBatch();
      }
    }
  }

  /** Runs {@code sql} with {@code params} (bound with {@code setObject}) and reads every row. */
  List<R> query(Connection c, String sql, Object... params) throws SQLException {
    return Sql.query(c, sql, reader, params);
  }

  /** The first row {@code sql} returns, if any. */
  Optional<R> queryOne(Connection c, String sql, Object... params) throws SQLException {
    return Sql.queryOne(c, sql, reader, params);
  }

  private int bind(PreparedStatement ps, R row, List<String> names, int from) throws SQLException {
    int index = from;
    for (String name : names) {
      columns.get(known(name)).bind(ps, index++, row);
    }
    return index;
  }

  private String known(String column) {
    if (!columns.containsKey(column)) {
      throw new IllegalArgumentException(table + " has no column " + column);
    }
    return column;
  }

  @Override
  public String toString() {
    return table + "(" + columnList() + ")";
  }
}
