package dev.keyring.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Running one parameterized statement on a connection: the loops every query repeats. */
final class Sql {
  /** How many values one {@code IN (...)} list holds. */
  private static final int IN_LIST_SIZE = 100;

  private Sql() {}

  /** Runs {@code sql} with {@code params} (bound with {@code setObject}) and reads every row. */
  static <T> List<T> query(Connection c, String sql, RowTable.Reader<T> reader, Object... params)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setFetchSize(1000);
      bind(ps, params);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) {
          out.add(reader.read(rs));
        }
        return out;
      }
    }
  }

  /** The first row {@code sql} returns, if any. */
  static <T> Optional<T> queryOne(
      Connection c, String sql, RowTable.Reader<T> reader, Object... params) throws SQLException {
    List<T> rows = query(c, sql, reader, params);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  /** The integer in the first column of the first row (a {@code COUNT(*)}). */
  static int count(Connection c, String sql, Object... params) throws SQLException {
    return query(c, sql, rs -> rs.getInt(1), params).get(0);
  }

  /** Runs an INSERT, UPDATE or DELETE; returns how many rows it changed. */
  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      return ps.executeUpdate();
    }
  }

  /**
   * Sets (inserts or replaces) a named value of a {@code (name, value)} table through the dialect's
   * upsert: the HSM state and the cluster values.
   */
  static void upsert(Connection c, String upsertSql, String name, byte[] value)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(upsertSql)) {
      ps.setString(1, name);
      ps.setBytes(2, value);
      ps.executeUpdate();
    }
  }

  /** The first of {@code values} present in {@code table.column}, as a string. */
  static Optional<String> firstExisting(
      Connection connection, String table, String column, List<?> values) throws SQLException {
    for (int from = 0; from < values.size(); from += IN_LIST_SIZE) {
      List<?> part = values.subList(from, Math.min(values.size(), from + IN_LIST_SIZE));
      StringBuilder sql =
          new StringBuilder("SELECT ")
              .append(column)
              .append(" FROM ")
              .append(table)
              .append(" WHERE ")
              .append(column)
              .append(" IN (");
      for (int i = 0; i < part.size(); i++) {
        sql.append(i == 0 ? "?" : ", ?");
      }
      sql.append(')');
      Optional<String> found =
          Sql.queryOne(
              connection, sql.toString(), rs -> String.valueOf(rs.getObject(1)), part.toArray());
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private static void bind(PreparedStatement ps, Object... params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      ps.setObject(i + 1, params[i]);
    }
  }
}
