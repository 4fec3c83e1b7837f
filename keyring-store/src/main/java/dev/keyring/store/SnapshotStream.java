package dev.keyring.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The replicated state streamed: written from the store as it is read, and installed as it is
 * received, a bounded chunk of rows at a time, so that neither side holds the whole state. The form
 * is JSON lines (UTF-8, one JSON object per line, each with {@code "v":1}):
 *
 * <pre>
 * {"v":1,"epoch":E,"sequence":S,"cluster":C|null}     the header: the position and the cluster row
 * {"v":1,"keyring":K}                                  one per keyring, by id
 * {"v":1,"object":O}                                   one per object, by keyring and handle
 * {"v":1,"value":{"name":N,"data":B64}}                one per cluster value, by name
 * {"v":1,"end":{"keyrings":n,"objects":m,"values":k}}  the trailer: what came before it
 * </pre>
 *
 * K and O are the records as {@link LogCodec} writes them. A stream without its trailer, or whose
 * trailer counts differ from the lines received, was cut off: installing it fails and changes
 * nothing.
 */
public final class SnapshotStream {
  /** Rows read, or inserted, per statement by default. */
  public static final int DEFAULT_CHUNK = 256;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private SnapshotStream() {}

  /** What an installed stream held: its position and how many rows of each kind. */
  public record Installed(LogPosition position, int keyrings, int objects, int clusterValues) {}

  /**
   * Writes the replicated state read through {@code c} (in a repeatable-read transaction, so that
   * every page is read at the same position), {@code chunk} rows per query.
   */
  static LogPosition write(Connection c, Dialect dialect, OutputStream out, int chunk)
      throws SQLException, IOException {
    LogPosition position = ReplicationSql.position(c);
    ClusterRecord cluster = Rows.CLUSTER.queryOne(c, Rows.CLUSTER.select()).orElse(null);
    ObjectNode header = LogCodec.header(position);
    if (cluster == null) {
      header.putNull("cluster");
    } else {
      ObjectNode n = header.putObject("cluster");
      n.put("id", cluster.id().toString());
      n.put("label", cluster.label());
      n.put("createdAt", cluster.createdAt().toString());
    }
    line(out, header);
    int keyrings = 0;
    UUID lastKeyring = null;
    while (true) {
      List<KeyringRecord> page =
          lastKeyring == null
              ? Rows.KEYRINGS.query(c, Rows.KEYRINGS.select() + " ORDER BY id LIMIT ?", chunk)
              : Rows.KEYRINGS.query(
                  c,
                  Rows.KEYRINGS.select() + " WHERE id > ? ORDER BY id LIMIT ?",
                  lastKeyring,
                  chunk);
      for (KeyringRecord k : page) {
        line(out, "keyring", LogCodec.keyring(k));
        lastKeyring = k.id();
      }
      keyrings += page.size();
      if (page.size() < chunk) {
        break;
      }
    }
    int objects = 0;
    ObjectRecord last = null;
    String order = " ORDER BY keyring_id, handle LIMIT ?";
    while (true) {
      List<ObjectRecord> page =
          last == null
              ? Rows.OBJECTS.query(c, Rows.OBJECTS.select() + order, chunk)
              : Rows.OBJECTS.query(
                  c,
                  Rows.OBJECTS.select()
                      + " WHERE keyring_id > ? OR (keyring_id = ? AND handle > ?)"
                      + order,
                  last.keyringId(),
                  last.keyringId(),
                  last.handle(),
                  chunk);
      for (ObjectRecord o : page) {
        line(out, "object", LogCodec.object(o));
        last = o;
      }
      objects += page.size();
      out.flush();
      if (page.size() < chunk) {
        break;
      }
    }
    // the cluster's configuration values: a few, by name
    String sql = "SELECT name, " + dialect.valueColumn() + " FROM cluster_values ORDER BY name";
    List<Map.Entry<String, byte[]>> values =
        Sql.query(c, sql, rs -> new SimpleImmutableEntry<>(rs.getString(1), rs.getBytes(2)));
    for (Map.Entry<String, byte[]> e : values) {
      ObjectNode v = NODES.objectNode();
      v.put("name", e.getKey());
      v.put("data", LogCodec.base64(e.getValue()));
      line(out, "value", v);
    }
    ObjectNode end = NODES.objectNode();
    end.put("keyrings", keyrings);
    end.put("objects", objects);
    end.put("values", values.size());
    line(out, "end", end);
    out.flush();
    return position;
  }

  /**
   * Replaces the replicated state, the log and its base with the stream's, in {@code tx}: the
   * tables are emptied, then the rows inserted {@code chunk} at a time as they are read. A stream
   * that ends early, breaks or holds a malformed line throws, and the caller's transaction rolls
   * back: the previous state stays.
   *
   * @throws HsmException CKR_ARGUMENTS_BAD for a malformed or cut-off stream
   * @throws UncheckedIOException when reading the stream failed
   */
  static Installed install(JdbcTransaction tx, InputStream in, int chunk) {
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    JsonNode header = next(r, "the header");
    LogPosition position = LogCodec.decoding("snapshot header", bytes(header), LogCodec::position);
    JsonNode c = LogCodec.field(header, "cluster");
    ClusterRecord cluster =
        c.isNull()
            ? null
            : new ClusterRecord(
                LogCodec.uuid(c, "id"),
                LogCodec.text(c, "label"),
                LogCodec.instant(c, "createdAt"));
    return tx.sql(
        "installing a snapshot at " + position,
        () -> {
          Connection conn = tx.connection();
          SnapshotSql.empty(conn);
          if (cluster != null) {
            Rows.CLUSTER.insertAll(conn, List.of(cluster));
          }
          List<KeyringRecord> keyrings = new ArrayList<>();
          List<ObjectRecord> objects = new ArrayList<>();
          int[] counts = new int[3];
          while (true) {
            JsonNode n = next(r, "a row or the trailer");
            if (n.has("keyring")) {
              keyrings.add(decode(n, "keyring", LogCodec::keyring));
              counts[0]++;
            } else if (n.has("object")) {
              flush(conn, keyrings, Rows.KEYRINGS, 0); // every keyring precedes its objects
              objects.add(decode(n, "object", LogCodec::object));
              counts[1]++;
            } else if (n.has("value")) {
              String name = decode(n, "value", x -> LogCodec.text(x, "name"));
              byte[] data =
                  decode(n, "value", x -> LogCodec.bytes(LogCodec.field(x, "data"), "data"));
              Sql.upsert(conn, tx.dialect().upsertClusterValue(), name, data);
              counts[2]++;
            } else if (n.has("end")) {
              flush(conn, keyrings, Rows.KEYRINGS, 0);
              flush(conn, objects, Rows.OBJECTS, 0);
              checkEnd(n.get("end"), counts);
              if (readLine(r, "the end") != null) {
                throw badStream("a line after the trailer");
              }
              break;
            } else {
              throw badStream("a line that is no row of a snapshot: " + n.fieldNames().next());
            }
            flush(conn, keyrings, Rows.KEYRINGS, chunk);
            flush(conn, objects, Rows.OBJECTS, chunk);
          }
          SnapshotSql.setBase(conn, position);
          return new Installed(position, counts[0], counts[1], counts[2]);
        });
  }

  private static <R> void flush(Connection c, List<R> rows, RowTable<R> table, int atLeast)
      throws SQLException {
    if (!rows.isEmpty() && rows.size() >= atLeast) {
      table.insertAll(c, rows);
      rows.clear();
    }
  }

  private static void checkEnd(JsonNode end, int[] counts) {
    if (end == null
        || end.path("keyrings").asLong(-1) != counts[0]
        || end.path("objects").asLong(-1) != counts[1]
        || end.path("values").asLong(-1) != counts[2]) {
      throw badStream(
          "the trailer "
              + end
              + " does not match the rows received ("
              + counts[0]
              + " keyrings, "
              + counts[1]
              + " objects, "
              + counts[2]
              + " values)");
    }
  }

  private static <T> T decode(JsonNode line, String field, LogCodec.Reader<T> reader) {
    return LogCodec.decoding(
        "snapshot " + field, bytes(line), root -> reader.read(root.get(field)));
  }

  private static byte[] bytes(JsonNode n) {
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String readLine(BufferedReader r, String what) {
    try {
      return r.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException("the snapshot stream broke before " + what, e);
    }
  }

  /** The next line as JSON; CKR_ARGUMENTS_BAD when the stream ended there (it was cut off). */
  private static JsonNode next(BufferedReader r, String what) {
    String line = readLine(r, what);
    if (line == null) {
      throw badStream("the stream ended before " + what + ": it was cut off");
    }
    return LogCodec.decoding(
        "snapshot line",
        line.getBytes(StandardCharsets.UTF_8),
        root -> {
          if (!root.isObject() || root.size() != 2 && !root.has("epoch")) {
            throw LogCodec.bad("not one row");
          }
          return root;
        });
  }

  private static HsmException badStream(String why) {
    return new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "cannot install a snapshot: " + why);
  }

  private static void line(OutputStream out, ObjectNode n) throws IOException {
    out.write(LogCodec.write(n));
    out.write('\n');
  }

  private static void line(OutputStream out, String field, ObjectNode row) throws IOException {
    ObjectNode n = NODES.objectNode();
    n.put("v", LogCodec.VERSION);
    n.set(field, row);
    line(out, n);
  }
}
