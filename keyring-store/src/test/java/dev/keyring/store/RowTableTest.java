package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RowTableTest {
  record Item(int id, String name, long size) {}

  private static final RowTable<Item> ITEMS =
      RowTable.<Item>of(
              "items", rs -> new Item(rs.getInt("id"), rs.getString("name"), rs.getLong("size")))
          .column("id", (ps, i, r) -> ps.setInt(i, r.id()))
          .column("name", (ps, i, r) -> ps.setString(i, r.name()))
          .column("size", (ps, i, r) -> ps.setLong(i, r.size()));

  private Connection c;

  @BeforeEach
  void table() throws SQLException {
    c = DriverManager.getConnection("jdbc:h2:mem:rowtable" + System.nanoTime());
    Sql.update(c, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), size BIGINT)");
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  @Test
  void select_listsEveryColumnInTheOrderDeclared() {
    assertEquals("SELECT id, name, size FROM items", ITEMS.select());
    assertEquals("id, name, size", ITEMS.columnList());
  }

  @Test
  void insertAll_writesWholeRows_acrossSeveralBatches() throws SQLException {
    List<Item> rows = new ArrayList<>();
    for (int i = 0; i < 1201; i++) {
      rows.add(new Item(i, "item-" + i, i * 10L));
    }
    ITEMS.insertAll(c, rows);
    assertEquals(rows, ITEMS.query(c, ITEMS.select() + " ORDER BY id"));
  }

  @Test
  void update_setsOnlyTheGivenColumns_ofTheRowTheWhereColumnsPick() throws SQLException {
    ITEMS.insertAll(c, List.of(new Item(1, "a", 10), new Item(2, "b", 20)));
    int changed = ITEMS.update(c, new Item(2, "renamed", 999), List.of("name"), List.of("id"));
    assertEquals(1, changed);
    assertEquals(
        List.of(new Item(1, "a", 10), new Item(2, "renamed", 20)),
        ITEMS.query(c, ITEMS.select() + " ORDER BY id"));
  }

  @Test
  void update_ofEveryColumnButTheKey_andOfARowThatIsNotThere() throws SQLException {
    ITEMS.insertAll(c, List.of(new Item(1, "a", 10)));
    List<String> all = ITEMS.columnsExcept(List.of("id"));
    assertEquals(List.of("name", "size"), all);
    assertEquals(1, ITEMS.update(c, new Item(1, "z", 5), all, List.of("id")));
    assertEquals(0, ITEMS.update(c, new Item(7, "z", 5), all, List.of("id")));
    assertEquals(
        Optional.of(new Item(1, "z", 5)), ITEMS.queryOne(c, ITEMS.select() + " WHERE id = ?", 1));
    assertTrue(ITEMS.queryOne(c, ITEMS.select() + " WHERE id = ?", 7).isEmpty());
  }

  @Test
  void anUnknownColumn_andAColumnDeclaredTwice_areRefused() {
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> ITEMS.update(c, new Item(1, "a", 1), List.of("colour"), List.of("id")));
    assertEquals("items has no column colour", unknown.getMessage());
    IllegalArgumentException twice =
        assertThrows(IllegalArgumentException.class, () -> ITEMS.column("name", (ps, i, r) -> {}));
    assertEquals("items.name is declared twice", twice.getMessage());
  }

  @Test
  void sqlCount_andFirstExisting_lookInTheTable() throws SQLException {
    ITEMS.insertAll(c, List.of(new Item(1, "a", 10), new Item(2, "b", 20)));
    assertEquals(2, Sql.count(c, "SELECT COUNT(*) FROM items"));
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      names.add("x" + i);
    }
    assertTrue(Sql.firstExisting(c, "items", "name", names).isEmpty());
    names.add("b");
    assertEquals(Optional.of("b"), Sql.firstExisting(c, "items", "name", names));
  }
}
